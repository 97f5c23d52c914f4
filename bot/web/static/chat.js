// The web chat without reloading: forms post in the background, and the transcript is
// fetched again whenever it changed (polled; 204 while nothing did). Without this script
// the forms post and the page redirects back, which works the same, only slower.
(function () {
  "use strict";
  var chat = document.getElementById("chat");
  var transcript = document.getElementById("transcript");
  if (!chat || !transcript) return;
  var version = chat.dataset.version;
  var quick = 0; // polls left at the quick pace, after a message went

  // A version is "<last line>.<last outbox row>"; both only grow. Two refreshes often
  // overlap (a poll and a send's); the one that answers last must not put an older
  // transcript back.
  function newer(a, b) {
    var x = a.split(".").map(Number), y = b.split(".").map(Number);
    return x[0] > y[0] || (x[0] === y[0] && x[1] > y[1]);
  }

  function refresh() {
    var url = chat.dataset.transcript + "?v=" + encodeURIComponent(version);
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (response.status !== 200) return;
      var latest = response.headers.get("X-Transcript-Version") || "";
      return response.text().then(function (html) {
        if (!newer(latest, version)) return;
        version = chat.dataset.version = latest;
        transcript.innerHTML = html;
        transcript.scrollTop = transcript.scrollHeight;
      });
    });
  }

  function poll() {
    refresh().catch(function () {}).then(function () {
      quick = Math.max(0, quick - 1);
      setTimeout(poll, quick ? 300 : 2000);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!chat.contains(form) || form.method.toLowerCase() !== "post") return;
    event.preventDefault();
    var data = new FormData(form, event.submitter);
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Nuqta-Chat": "1" },
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      if (form.classList.contains("composer")) form.reset();
      quick = 20;
      return refresh();
    }).catch(function () {
      window.location.reload();
    }).then(function () {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  });

  transcript.scrollTop = transcript.scrollHeight;
  setTimeout(poll, 2000);
})();
