"""Fixtures shared by the tests: one build of the default variant, and a copy to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from solgen.cli import main


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory) -> Path:
    """A --no-pdf build of the default variant, made once; tests copy it, never change it."""
    out = tmp_path_factory.mktemp("seed") / "out"
    assert main(["build", "--no-pdf", "--out", str(out)]) == 0
    return out


@pytest.fixture
def previous_build(seed_build, tmp_path) -> Path:
    """An output directory holding a previous build and a file of the user's (notes.txt)."""
    out = tmp_path / "out"
    shutil.copytree(seed_build, out)
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    return out


# --- test tiers: `make test-fast` runs what is not marked slow or tex (no TeX, no class
# rebuilds, no signals or full disks), `make test` runs everything. The slow set is named here,
# in one place, from `pytest --durations=0` on a 2-core machine (each over about 0.6 s).

SLOW_MODULES = frozenset(
    {
        "test_batch",  # class batches
        "test_batch_signals",
        "test_chaos",
        "test_chaos_format",
        "test_children",  # LaTeX killed with solgen
        "test_class",
        "test_datafiles",
        "test_disk_format",
        "test_faults",
        "test_hostile",  # PDF round trips
        "test_layout",
        "test_merge",
        "test_lmsgrades",  # two class batches
        "test_pdf",
        "test_preamble",
        "test_robust",
    }
)
SLOW_TESTS = frozenset(
    {
        ("test_cache", "test_a_huge_power_in_an_entry_does_not_hang_the_build"),
        ("test_cache", "test_an_unreadable_entry_is_a_miss"),
        ("test_certified", "test_random_networks_are_correctly_rounded"),
        ("test_cli", "test_console_script"),
        ("test_cli", "test_hanging_latex_is_stopped"),
        ("test_cli", "test_latex_error_keeps_the_previous_build"),
        ("test_cli", "test_python_m_solgen"),
        ("test_csvsafe", "test_answers_csv_quotes_formulas_and_keeps_numbers"),
        ("test_export_moodle", "test_a_category_per_problem_then_a_question_per_variant"),
        ("test_fuzz", "test_cli_on_a_variant_file"),
        ("test_generate", "test_2x1x1_succeeds_for_seeds_1_to_300_through_the_cli"),
        ("test_generate", "test_random_variants_are_well_posed_and_build"),
        ("test_generate", "test_tiny_shapes_always_give_a_well_posed_network"),
        ("test_grade", "test_500000_unknown_ids_print_20_lines_and_a_count"),
        ("test_grade", "test_each_student_gets_exactly_the_points_deserved"),
        ("test_grade", "test_the_cell_that_hung_grade_is_refused_at_once"),
        ("test_invalid_corpus", "test_unreachable_target_with_many_kernels_is_rejected_quickly"),
        ("test_limits", "test_many_problems_print_twenty_lines_and_a_count"),
        ("test_problem1", "test_random_networks_three_routes_agree"),
        ("test_problem2", "test_random_matrices_match_numpy"),
        ("test_problem2", "test_simulation_confirms_eta_max_random"),
        ("test_render_bounds", "test_a_render_that_ignores_its_alarm_is_killed"),
        ("test_results", "test_results_agree_with_independent_implementation"),
        ("test_sandbox", "test_a_template_cannot_hang_exhaust_or_crash_the_build"),
        ("test_sandbox", "test_a_template_cannot_reach_python"),
        ("test_sandbox", "test_a_template_that_is_not_a_regular_file_is_refused_without_waiting"),
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the slow tier (SLOW_MODULES, SLOW_TESTS) for `make test-fast` to leave out."""
    for item in items:
        module = item.nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
        name = getattr(item, "originalname", item.name)
        if module in SLOW_MODULES or (module, name) in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
