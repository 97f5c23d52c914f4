// The request's form: skip logic as the flow's `when` says (the same rule as the chat's),
// and a draft saved as fields change. The form works without this script (server-side
// visibility, "save draft" button); a hidden question's inputs are disabled, so what is not
// asked is not sent.
(function () {
  "use strict";
  var form = document.getElementById("flowform");
  if (!form) return;
  var token = document.querySelector("meta[name=csrf-token]").content;
  var saved = document.getElementById("saved");
  var savedText = document.currentScript.getAttribute("data-saved");

  function valuesOf(name) {
    var found = [];
    form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
      if (input.disabled) return;
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      if (input.value.trim()) found.push(input.value);
    });
    return found;
  }

  function holds(when) {
    var values = valuesOf(when.name);
    if (when.answered) return values.length > 0;
    var matched = values.some(function (v) { return when.any.indexOf(v) >= 0; });
    return when.negate ? !matched : matched;
  }

  function apply() {
    // A question may depend on one that depends on another: settle until nothing changes.
    for (var round = 0; round < 10; round++) {
      var changed = false;
      form.querySelectorAll("[data-when]").forEach(function (box) {
        var show = holds(JSON.parse(box.getAttribute("data-when")));
        if (show === !box.hidden) return;
        changed = true;
        box.hidden = !show;
        box.querySelectorAll("input, textarea, select").forEach(function (input) {
          input.disabled = !show;
        });
      });
      if (!changed) return;
    }
  }

  // The autosave sends typed answers only: a chosen file goes up once, with the next post
  // of the whole form (save draft, a repeat's button, submit), which keeps it in the draft.
  function draftFields() {
    var data = new FormData(form);
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      data.delete(input.name);
    });
    return data;
  }

  var timer = null;
  function saveSoon() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(form.getAttribute("data-draft"), {
        method: "POST",
        body: draftFields(),
        headers: { "X-CSRF-Token": token },
        credentials: "same-origin",
      }).then(function (response) {
        if (response.ok && saved) saved.textContent = savedText;
      });
    }, 600);
  }

  // A file over the limit is never sent: the server would refuse the whole post, and the
  // other files chosen with it. Its input is emptied at once and the reason shown beside it.
  function checkSize(input) {
    var big = input.files.length > 0 && input.files[0].size > Number(input.getAttribute("data-max"));
    var note = input.parentNode.querySelector(".too-big");
    if (note) note.hidden = !big;
    if (big) input.value = "";
  }
  form.querySelectorAll("input[type=file][data-max]").forEach(function (input) {
    input.addEventListener("change", function () { checkSize(input); });
  });

  form.addEventListener("change", function () { apply(); saveSoon(); });
  form.addEventListener("input", saveSoon);
  apply();
})();
