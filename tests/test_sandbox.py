"""--templates are input, not code: Jinja2's sandbox keeps them from Python and the disk."""

from __future__ import annotations

import pytest

from solgen.cli import main

ATTEMPTS = {
    "os.system": "((* set _ = cycler.__init__.__globals__.os.system('id > {marker}') *))",
    "open": "((( lipsum.__globals__['__builtins__']['open']('/etc/hostname').read() )))",
    "mro": "((( meta.title.__class__.__mro__[1].__subclasses__() )))",
    "context": "((* set _ = p1.update({{'N': 99}}) *))((( p1.N )))",
    "format": "((( '{{0.__class__}}'.format(meta) )))",
}
MESSAGES = {
    "os.system": "body.tex.j2:3: access to attribute '__init__' of 'type' object is unsafe.",
    "open": "body.tex.j2:3: access to attribute '__globals__' of 'function' object is unsafe.",
    "mro": "body.tex.j2:3: access to attribute '__class__' of 'str' object is unsafe.",
    "context": "body.tex.j2:3: access to attribute 'update' of 'dict' object is unsafe.",
    "format": "body.tex.j2:3: access to attribute '__class__' of 'Meta' object is unsafe.",
}


@pytest.mark.parametrize("name", ATTEMPTS)
def test_a_template_cannot_reach_python(tmp_path, capsys, name):
    marker = tmp_path / "PWNED"
    templates = tmp_path / "mine"
    templates.mkdir()
    (templates / "body.tex.j2").write_text(
        "((* extends 'solgen/body.tex.j2' *))\n((* block header *))\n"
        + ATTEMPTS[name].format(marker=marker)
        + "((( super() )))((* endblock header *))\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["build", "--templates", str(templates), "--out", str(out), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert f"solgen: error: template error: {MESSAGES[name]}\n" in err
    assert "Traceback" not in err
    assert not marker.exists()
    assert not out.exists() or list(out.iterdir()) == []


def test_an_honest_override_still_renders(tmp_path):
    templates = tmp_path / "mine"
    templates.mkdir()
    (templates / "body.tex.j2").write_text(
        "((* extends 'solgen/body.tex.j2' *))\n((* block header *))"
        "Course ((( meta.title|upper|tex_escape ))) ((( p1.N ))) ((* for k in range(2) *))"
        "((( loop.index )))((* endfor *))((( super() )))((* endblock header *))\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["build", "--templates", str(templates), "--out", str(out), "--no-pdf"]) == 0
    tex = (out / "solution.tex").read_text(encoding="utf-8")
    assert "Course MACHINE LEARNING ASSIGNMENT 2: NEURAL NETWORKS 3 12" in tex
