// Small behaviours shared by every staff page. No inline script: the CSP forbids it.
"use strict";
