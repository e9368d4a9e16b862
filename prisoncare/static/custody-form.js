// Shows only the fields the chosen custody event uses. Without JavaScript every
// field stays visible and the server says which ones are missing.
(function () {
  var type = document.getElementById("f-type");
  if (!type) return;
  var blocks = document.querySelectorAll("[data-events]");
  function update() {
    blocks.forEach(function (block) {
      var events = block.getAttribute("data-events").split(" ");
      var show = !type.value || events.indexOf("all") >= 0 || events.indexOf(type.value) >= 0;
      block.hidden = !show;
    });
  }
  type.addEventListener("change", update);
  update();
})();
