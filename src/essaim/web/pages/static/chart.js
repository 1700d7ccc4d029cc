// A canned query's chart: its Vega-Lite spec (JSON in the page) drawn as SVG by vega-embed, served
// by this node. Expressions go through vega-embed's interpreter (ast: true), never eval, so the
// Content-Security-Policy stays strict; no style element is injected (defaultStyle: false, our
// own download buttons instead of the actions menu, the browser's tooltips).
(function () {
  var holder = document.getElementById("chart-view");
  if (!holder || typeof vegaEmbed === "undefined") {
    return;
  }
  var spec = JSON.parse(document.getElementById("chart-spec").textContent);
  var options = { renderer: "svg", actions: false, ast: true, defaultStyle: false, tooltip: false };
  vegaEmbed(holder, spec, options)
    .then(function (result) {
      var name = holder.getAttribute("data-name") || "chart";
      function save(type) {
        result.view.toImageURL(type, type === "png" ? 2 : 1).then(function (url) {
          var link = document.createElement("a");
          link.href = url;
          link.download = name + "." + type;
          document.body.appendChild(link);
          link.click();
          link.remove();
        });
      }
      document.getElementById("chart-svg").addEventListener("click", function () { save("svg"); });
      document.getElementById("chart-png").addEventListener("click", function () { save("png"); });
      document.querySelector(".chart-downloads").hidden = false;
      holder.setAttribute("data-drawn", "true");
    })
    .catch(function (error) {
      holder.setAttribute("data-error", String(error));
      console.error(error);
    });
})();
