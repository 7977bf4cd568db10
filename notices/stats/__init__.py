"""The statistics page's figures (`queries`, aggregate SQL), tables (`tables`) and SVG charts
(`charts`). ADR 0009 says which figures are exact and which are counted from dates alone."""
