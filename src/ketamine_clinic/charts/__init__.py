"""The geometry of small plots drawn on the server as SVG, with no Django and no script.

Pages draw their plots as SVG with presentation attributes (strict CSP: no inline style
or script), so they print and work with JavaScript off. This package only turns values
into pixels and strings; the templates own the look.

- ``scales``: linear, time and band scales (domain -> pixel range; y inverted by giving
  the range bottom-first).
- ``ticks``: "nice" 1-2-5 ticks for numbers, calendar ticks for dates.
- ``paths``: a series as a polyline ``points`` attribute, a line path or a step path.
- ``frame``: the plot area inside a box with margins.
"""
