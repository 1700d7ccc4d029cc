// YASGUI on this node's endpoint, with the canned queries as tabs (the config is JSON in the page).
(function () {
  var config = JSON.parse(document.getElementById("editor-config").textContent);
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    yasqe: { value: config.query },
    yasr: { maxPersistentResponseSize: 0 },
  });
  config.tabs.forEach(function (tab) {
    yasgui.addTab(false, { name: tab.name, yasqe: { value: tab.query } });
  });
})();
