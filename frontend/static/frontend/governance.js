/* The access request form: the Art. 9(2) condition shows when a special-category column is ticked,
   the justification when a direct identifier is; choosing another project fills in its purpose
   unless the requester already changed it. Without JavaScript every field simply shows. */
(function () {
  "use strict";

  function init() {
    var form = document.querySelector(".request-form");
    if (!form) return;
    var boxes = form.querySelectorAll('input[name="columns"]');
    var art9 = form.querySelector("[data-art9]");
    var justification = form.querySelector("[data-justification]");

    function ticked(cls) {
      for (var i = 0; i < boxes.length; i++) {
        if (boxes[i].checked && boxes[i].getAttribute("data-class") === cls) return true;
      }
      return false;
    }

    function hasError(block) {
      return block && block.querySelector(".field__error");
    }

    function update() {
      if (art9) art9.hidden = !ticked("special") && !hasError(art9) && !art9.querySelector("select").value;
      if (justification) {
        var text = justification.querySelector("textarea");
        justification.hidden = !ticked("direct") && !hasError(justification) && !(text && text.value);
      }
    }

    for (var i = 0; i < boxes.length; i++) boxes[i].addEventListener("change", update);
    update();

    var project = form.querySelector('select[name="project"]');
    var purpose = form.querySelector('textarea[name="purpose"]');
    var data = document.getElementById("project-purposes");
    if (project && purpose && data) {
      var purposes = JSON.parse(data.textContent);
      project.addEventListener("change", function () {
        var previous = purposes[project.getAttribute("data-previous") || ""] || "";
        if (!purpose.value || purpose.value === previous) purpose.value = purposes[project.value] || "";
        project.setAttribute("data-previous", project.value);
      });
      project.setAttribute("data-previous", project.value);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
