/* Positions in a text as code points (essaim: Python str indices, the Web Annotation
   TextPositionSelector as essaim stores it) and as UTF-16 code units (JavaScript strings, the DOM,
   the text annotator). A character outside the Basic Multilingual Plane (🐝) is one code point
   and two units. EssaimOffsets.converter(text) converts both ways; a unit position inside such a
   character (between its two surrogates) is refused. Unit-tested in the browser
   (tests/test_annotate_page.py). */
(function (global) {
  "use strict";

  function converter(text) {
    // Where each astral character starts, in code points and in units (sorted).
    var points = [];
    var units = [];
    var point = 0;
    for (var unit = 0; unit < text.length; unit++, point++) {
      var code = text.charCodeAt(unit);
      if (code >= 0xd800 && code <= 0xdbff && unit + 1 < text.length) {
        var next = text.charCodeAt(unit + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          points.push(point);
          units.push(unit);
          unit++;
        }
      }
    }
    var length = point;

    // How many of the sorted values are < limit.
    function below(values, limit) {
      var lo = 0, hi = values.length;
      while (lo < hi) {
        var mid = (lo + hi) >> 1;
        if (values[mid] < limit) lo = mid + 1; else hi = mid;
      }
      return lo;
    }

    function check(value, max, what) {
      if (typeof value !== "number" || !isFinite(value) || Math.floor(value) !== value ||
          value < 0 || value > max) {
        throw new RangeError(what + " " + value + " is not a position in the text (0–" + max + ")");
      }
    }

    return {
      length: length,
      /* The UTF-16 unit position of a code-point position. */
      toUnits: function (codePoint) {
        check(codePoint, length, "code point");
        return codePoint + below(points, codePoint);
      },
      /* The code-point position of a UTF-16 unit position. */
      toCodePoints: function (unit) {
        check(unit, text.length, "unit");
        var before = below(units, unit);  // astral characters starting before `unit`
        if (before > 0 && units[before - 1] + 1 === unit) {
          throw new RangeError("unit " + unit + " falls inside a character outside the BMP");
        }
        return unit - before;
      }
    };
  }

  global.EssaimOffsets = { converter: converter };
})(window);
