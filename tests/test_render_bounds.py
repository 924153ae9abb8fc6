"""render.py: templates from --templates render in a child process that cannot outlive its
time, its memory or solgen; solgen's own render in-process (the default build stays fast)."""

from __future__ import annotations

import os
import signal
import time

import jinja2
import pytest

from solgen.cli import main
from solgen.document import render as render_module
from solgen.document.render import TemplateFailed, environment, render


def _template(folder, text: str, name: str = "t.tex.j2") -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def _forks(monkeypatch) -> list[int]:
    """The pids of the children os.fork makes from now on (in this process)."""
    pids: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(render_module.os, "fork", fork)
    return pids


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_solgens_own_templates_render_in_this_process(monkeypatch):
    from solgen.document.build import render_documents, solve
    from solgen.document.variant import load_variant

    def no_fork() -> int:
        raise AssertionError("forked")

    monkeypatch.setattr(render_module.os, "fork", no_fork)
    variant = load_variant()
    assert "\\begin{document}" in render_documents(variant, solve(variant))["solution"]


def test_a_render_is_a_child_that_is_reaped(tmp_path, monkeypatch):
    pids = _forks(monkeypatch)
    _template(tmp_path, "((( n ))) + ((( 2 * 3 )))")
    assert render({"n": 1}, tmp_path, "t.tex.j2") == "1 + 6"
    (pid,) = pids
    assert _gone(pid)


def test_a_render_that_ignores_its_alarm_is_killed(tmp_path, monkeypatch):
    """The alarm cannot stop a long C call (signal handlers run between bytecodes); the
    parent's deadline can."""

    def stall(value: object) -> str:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)
        return "never"

    monkeypatch.setattr(render_module, "RENDER_SECONDS", 0.5)
    monkeypatch.setattr(render_module, "RENDER_GRACE", 1.0)
    pids = _forks(monkeypatch)
    _template(tmp_path, "((( 1|stall )))")
    environment(tmp_path).filters["stall"] = stall
    start = time.monotonic()
    with pytest.raises(TemplateFailed) as caught:
        render({}, tmp_path, "t.tex.j2")
    assert time.monotonic() - start < 10
    assert str(caught.value) == "t.tex.j2: rendering did not finish within 1.5 s and was stopped"
    assert _gone(pids[0])


def test_a_render_that_dies_is_reported(tmp_path, monkeypatch):
    def die(value: object) -> str:
        os.kill(os.getpid(), signal.SIGKILL)
        return "never"

    _template(tmp_path, "((( 1|die )))")
    environment(tmp_path).filters["die"] = die
    with pytest.raises(TemplateFailed, match=r"^t\.tex\.j2: rendering ended without a result "):
        render({}, tmp_path, "t.tex.j2")
    with pytest.raises(TemplateFailed) as caught:
        render({}, tmp_path, "t.tex.j2")
    assert str(caught.value) == "t.tex.j2: rendering ended without a result (signal SIGKILL)"


def test_a_document_too_large_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(render_module, "MAX_OUTPUT", 100)
    _template(tmp_path, "((* for i in range(201) *))x((* endfor *))")
    with pytest.raises(TemplateFailed) as caught:
        render({}, tmp_path, "t.tex.j2")
    assert str(caught.value) == (
        "t.tex.j2: the rendered document has 201 characters; at most 100 are allowed"
    )


def test_ctrl_c_while_rendering_stops_the_child(tmp_path, monkeypatch):
    pids = _forks(monkeypatch)
    _template(
        tmp_path,
        "((* for i in range(100000) *))((* for j in range(100000) *))((* endfor *))((* endfor *))",
    )

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with pytest.raises(KeyboardInterrupt):
            render({}, tmp_path, "t.tex.j2")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert _gone(pids[0])


def test_no_user_template_is_compiled_in_solgen_itself(tmp_path):
    """Jinja2 folds constant expressions while compiling: ((( 9**9**9 ))) compiled in solgen's
    process would never finish. solgen compiles its own templates there, never the user's."""
    _template(tmp_path, "((( 9**9**9 ))) ((* if *))", "network.tex.j2")
    render_module._compile_ours(tmp_path)
    names = {key[1] for key in environment(tmp_path).cache}  # (loader, name)
    assert "solgen/network.tex.j2" in names and "descent.tex.j2" in names
    assert "network.tex.j2" not in names


def test_a_missing_template_is_named(tmp_path, capsys):
    _template(
        tmp_path,
        "((* extends 'solgen/body.tex.j2' *))\n((* block header *))\n"
        "((* include 'nope.tex.j2' *))((* endblock header *))\n",
        "body.tex.j2",
    )
    out = tmp_path / "out"
    assert main(["build", "--templates", str(tmp_path), "--out", str(out), "--no-pdf"]) == 2
    assert capsys.readouterr().err == (
        "solgen: error: template error: body.tex.j2:3: nope.tex.j2: no such template in the "
        "--templates folder or solgen's\n"
    )


def test_a_failure_keeps_its_class_and_message_for_the_batch_report(tmp_path):
    _template(tmp_path, "line 1\n((( no_such_value )))\n")
    with pytest.raises(jinja2.UndefinedError) as caught:
        render({}, tmp_path, "t.tex.j2")
    assert f"{type(caught.value).__name__}: {caught.value}" == (
        "UndefinedError: 'no_such_value' is undefined"
    )
    frames = [f for f in caught.traceback if str(f.path).endswith("t.tex.j2")]
    assert [f.lineno + 1 for f in frames] == [2]  # pytest counts lines from 0


def test_a_template_missing_from_the_folder_is_solgens(tmp_path):
    _template(tmp_path, "mine", "convnet.tex.j2")
    env = environment(tmp_path)
    assert env.get_template("convnet.tex.j2").render() == "mine"
    assert "gradient descent" in env.loader.get_source(env, "descent.tex.j2")[0]
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template("../convnet.tex.j2")
