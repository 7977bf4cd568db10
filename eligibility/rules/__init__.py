"""The one rules module: pure Python, no Django. Facts and a date in, an assessment out."""
