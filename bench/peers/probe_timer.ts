// Probe: the cost of the first timer (setTimeout and clearTimeout), nothing else.
clearTimeout(setTimeout(() => {}, 1000));
