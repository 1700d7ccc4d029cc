// YASGUI on this node's endpoint, with the canned queries as tabs (the config is JSON in the page).
// A signed-in person's updates carry the session's CSRF token (the sign-out form holds it).
(function () {
  var config = JSON.parse(document.getElementById("editor-config").textContent);
  var csrf = document.querySelector('form.signout input[name="csrf_token"]');
  var request = { endpoint: config.endpoint, method: "POST" };
  if (csrf) {
    request.headers = { "X-CSRF-Token": csrf.value };
  }
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: request,
    copyEndpointOnNewTab: true,
    persistenceId: null,
    yasqe: { value: config.query },
    yasr: { maxPersistentResponseSize: 0 },
  });
  config.tabs.forEach(function (tab) {
    yasgui.addTab(false, { name: tab.name, yasqe: { value: tab.query } });
  });
})();
