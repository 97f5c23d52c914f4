// Opened as a Telegram Mini App: Telegram puts the signed `initData` in the address's
// fragment (tgWebAppData). It is posted to the server, which checks its signature before
// anything in it is believed, and answers with the form (or a refusal page).
(function () {
  "use strict";
  var status = document.getElementById("app-status");
  var fragment = new URLSearchParams(window.location.hash.slice(1));
  var form = document.createElement("form");
  form.method = "post";
  form.action = status.getAttribute("data-action");
  var fields = {
    init_data: fragment.get("tgWebAppData") || "",
    flow: status.getAttribute("data-flow"),
    campaign: status.getAttribute("data-campaign"),
    csrf_token: document.querySelector("meta[name=csrf-token]").content,
    // Telegram Web frames this page from another site: the session's cookie does not come
    // back, so the post proves itself by this ticket from the page (and by initData).
    ticket: status.getAttribute("data-ticket"),
  };
  Object.keys(fields).forEach(function (name) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = fields[name];
    form.appendChild(input);
  });
  document.body.appendChild(form);
  form.submit();
})();
