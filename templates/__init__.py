"""solgen's LaTeX templates, shipped in the wheel as the package solgen.templates."""
