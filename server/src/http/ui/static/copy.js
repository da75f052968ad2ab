// Adds a "Copy" button after every element marked data-copy. The page works without it:
// the command is plain, selectable text.
"use strict";
document.querySelectorAll("[data-copy]").forEach(function (el) {
  if (!navigator.clipboard) { return; }
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = "Copy";
  button.setAttribute("aria-label", "Copy: " + el.textContent);
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(el.textContent).then(function () { button.textContent = "Copied"; });
  });
  el.after(button);
});
