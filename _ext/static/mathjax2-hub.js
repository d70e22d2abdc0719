// ipywidgets typesets every widget's label with MathJax 2's API,
// MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]). The book runs MathJax 3,
// which has no Hub, so each labelled widget threw "Cannot read properties of
// undefined (reading 'Queue')". This forwards those calls to MathJax 3.
// Loaded before ipywidgets/embed.js, which draws the widgets on the "load" event:
// listeners run in the order they were added, so the Hub is there in time.
window.addEventListener("load", () => {
  const mathjax = window.MathJax;
  if (mathjax?.startup && !mathjax.Hub) {
    mathjax.Hub = {
      Queue: ([command, hub, element]) => mathjax.startup.promise.then(() => mathjax.typesetPromise([element])),
    };
  }
});
