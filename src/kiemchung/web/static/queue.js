// Keyboard triage for the queue: j/k select a row, o or Enter opens it, c confirms and x rejects the
// first suggested match of the selected row, / jumps to the search box. No network, no framework.
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr"));
  var current = -1;
  function select(index) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("selected", i === current); });
    rows[current].focus();
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var row = rows[current];
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "o": case "Enter": if (row) row.querySelector("a.open").click(); break;
      case "c": if (row && row.querySelector("button.confirm")) row.querySelector("button.confirm").click(); break;
      case "x": if (row && row.querySelector("button.reject")) row.querySelector("button.reject").click(); break;
      case "/": event.preventDefault(); document.getElementById("q").focus(); return;
      default: return;
    }
    event.preventDefault();
  });
  rows.forEach(function (row, i) { row.addEventListener("focus", function () { current = i; }); });
})();
