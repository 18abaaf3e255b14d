// Shade a module's column while its MND box is ticked. The server decides what MND means.
document.querySelectorAll('#results-form input[type="checkbox"][data-module]').forEach(function (box) {
  box.addEventListener("change", function () {
    document.querySelectorAll('#results-form [data-module="' + box.dataset.module + '"]').forEach(function (el) {
      if (el !== box) el.classList.toggle("mnd", box.checked);
    });
  });
});
