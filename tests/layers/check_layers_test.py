#!/usr/bin/python3
"""tools/check-layers can fail: a tiny fake source tree is written into a temporary directory,
once clean (exit 0, the summary line) and once per kind of violation with one deliberate bad
include (exit 1, exactly the expected `file:line: ...` line and no other).

Usage: tests/layers/check_layers_test.py [PATH/TO/check-layers]   (ctest "layers: ...")
"""
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else
                         os.path.join(os.path.dirname(__file__), "../../tools/check-layers"))

# A clean tree: one header per area, each including one of a lower layer, private headers in
# src/, a CLI including the top of the library and its own header, a user program.
CLEAN_TREE = {
    "include/clvkit/error.hpp": "#pragma once\n",
    "include/clvkit/day.hpp": '#pragma once\n#include "clvkit/error.hpp"\n',
    "include/clvkit/util/format.hpp": '#pragma once\n#include <string>\n',
    "include/clvkit/numerics/log_space.hpp": '#pragma once\n#include "clvkit/util/format.hpp"\n',
    "include/clvkit/io/csv.hpp": '#pragma once\n#include "clvkit/day.hpp"\n',
    "include/clvkit/summary/ingest.hpp": '#pragma once\n#include "clvkit/io/csv.hpp"\n',
    "include/clvkit/rfm/scoring.hpp": '#pragma once\n#include "clvkit/summary/ingest.hpp"\n',
    "include/clvkit/models/fit.hpp": '#pragma once\n#include "clvkit/numerics/log_space.hpp"\n',
    "include/clvkit/analysis.hpp": '#pragma once\n#include "clvkit/analysis/segments.hpp"\n',
    "include/clvkit/analysis/segments.hpp": '#pragma once\n#include <clvkit/models/fit.hpp>\n',
    "include/clvkit/output/records.hpp": '#pragma once\n#include "clvkit/analysis.hpp"\n',
    "include/clvkit/report/html.hpp": '#pragma once\n#include "clvkit/output/records.hpp"\n',
    "src/io/csv.cpp": '#include "clvkit/io/csv.hpp"\n\n#include <vector>\n',
    "src/summary/log_scan.hpp": '#pragma once\n#include "clvkit/summary/ingest.hpp"\n',
    "src/summary/ingest.cpp": ('#include "clvkit/summary/ingest.hpp"\n'
                               '// #include "clvkit/report/html.hpp" (a comment, not an edge)\n'
                               '/* #include "clvkit/models/fit.hpp"\n'
                               '   #include "../models/private.hpp" */\n'
                               '#include "log_scan.hpp"\n'),
    "src/models/private.hpp": "#pragma once\n",
    "src/models/fit.cpp": '#include "clvkit/models/fit.hpp"\n#include "private.hpp"\n',
    "src/report/html.cpp": '#include "clvkit/report/html.hpp"\n',
    "tools/clvkit/progress.hpp": '#pragma once\n#include "clvkit/util/format.hpp"\n',
    "tools/clvkit/main.cpp": '#include "clvkit/report/html.hpp"\n#include "progress.hpp"\n',
    "tests/consumer/main.cpp": '#include "clvkit/rfm/scoring.hpp"\n',
    "tests/io/csv_test.cpp": '#include "../../src/summary/log_scan.hpp"  // tests may\n',
    "bench/micro.cpp": '#include "../tools/clvkit/progress.hpp"  // bench may\n',
}


def run(tree):
    """(exit code, stdout lines, stderr) of check-layers on `tree` written to a temporary dir."""
    with tempfile.TemporaryDirectory() as root:
        for path, text in tree.items():
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            with open(os.path.join(root, path), "w", encoding="utf-8") as f:
                f.write(text)
        done = subprocess.run([SCRIPT, root], capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout.splitlines(), done.stderr


def with_file(path, text):
    return {**CLEAN_TREE, path: text}


class CheckLayers(unittest.TestCase):
    def assert_one_violation(self, tree, expected):
        code, lines, err = run(tree)
        self.assertEqual(code, 1, lines)
        self.assertEqual(lines, [expected])
        self.assertIn("1 violation(s)", err)

    def test_clean_tree_passes_with_a_summary(self):
        code, lines, err = run(CLEAN_TREE)
        self.assertEqual(code, 0, lines + [err])
        self.assertEqual(lines, ["check-layers: 21 files, 21 include edges, 9 layers: "
                                 "no include points to a higher layer"])

    def test_io_header_including_a_models_header(self):
        self.assert_one_violation(
            with_file("include/clvkit/io/csv.hpp",
                      '#pragma once\n#include "clvkit/day.hpp"\n#include "clvkit/models/fit.hpp"\n'),
            "include/clvkit/io/csv.hpp:3: includes 'clvkit/models/fit.hpp' (layer 4 models) "
            "from layer 1 io")

    def test_back_edge_in_a_source_file_with_angle_brackets(self):
        self.assert_one_violation(
            with_file("src/rfm/scoring.cpp", '#include <vector>\n#include <clvkit/output/records.hpp>\n'),
            "src/rfm/scoring.cpp:2: includes 'clvkit/output/records.hpp' (layer 6 output) "
            "from layer 3 rfm")

    def test_core_including_analysis_hpp(self):
        self.assert_one_violation(
            with_file("include/clvkit/day.hpp", '#pragma once\n#include "clvkit/analysis.hpp"\n'),
            "include/clvkit/day.hpp:2: includes 'clvkit/analysis.hpp' (layer 5 analysis) "
            "from layer 0 core")

    def test_private_header_of_another_area_through_dotdot(self):
        self.assert_one_violation(
            with_file("src/rfm/scoring.cpp", '#include "../summary/log_scan.hpp"\n'),
            "src/rfm/scoring.cpp:1: includes '../summary/log_scan.hpp': a path with '..' "
            "(reaches src/summary/log_scan.hpp); include 'clvkit/...' or a header of the same "
            "directory")

    def test_dotdot_into_a_higher_layer_breaks_two_rules(self):
        code, lines, _ = run(with_file("src/io/csv.cpp", '\n#include "../models/private.hpp"\n'))
        self.assertEqual(code, 1)
        self.assertEqual(lines, [
            "src/io/csv.cpp:2: includes '../models/private.hpp': a path with '..' (reaches "
            "src/models/private.hpp); include 'clvkit/...' or a header of the same directory",
            "src/io/csv.cpp:2: includes '../models/private.hpp' (layer 4 models) from layer 1 io"])

    def test_paths_leaving_the_tree_are_refused(self):
        self.assert_one_violation(
            with_file("src/io/csv.cpp", '#include "../../../outside.hpp"\n'),
            "src/io/csv.cpp:1: includes '../../../outside.hpp': a path with '..' (leaves the "
            "tree); include 'clvkit/...' or a header of the same directory")
        self.assert_one_violation(
            with_file("src/io/csv.cpp", '#include "/usr/include/stdio.h"\n'),
            "src/io/csv.cpp:1: includes '/usr/include/stdio.h': an absolute path (leaves the "
            "tree); include 'clvkit/...' or a header of the same directory")

    def test_subdirectory_path_is_refused(self):
        self.assert_one_violation(
            with_file("src/models/fit.cpp", '#include "detail/private.hpp"\n'),
            "src/models/fit.cpp:1: includes 'detail/private.hpp': neither 'clvkit/...' nor a "
            "header of the same directory")

    def test_public_header_including_a_src_file(self):
        code, lines, _ = run(with_file("include/clvkit/models/fit.hpp",
                                       '#pragma once\n#include "../../../src/models/private.hpp"\n'))
        self.assertEqual(code, 1)
        self.assertEqual(lines[1], "include/clvkit/models/fit.hpp:2: includes "
                         "'../../../src/models/private.hpp' (src/models/private.hpp) from a "
                         "public header: public headers include public headers only")
        self.assertEqual(len(lines), 2)  # and the '..'

    def test_stale_public_path(self):
        self.assert_one_violation(
            with_file("src/report/html.cpp", '#include "clvkit/report/html.hpp"\n'
                      '#include "clvkit/io/output_file.hpp"\n'),
            "src/report/html.cpp:2: includes 'clvkit/io/output_file.hpp': no such file "
            "include/clvkit/io/output_file.hpp")

    def test_missing_private_header(self):
        self.assert_one_violation(
            with_file("src/summary/ingest.cpp", '#include "customer_table.hpp"\n'),
            "src/summary/ingest.cpp:1: includes 'customer_table.hpp': no such file "
            "src/summary/customer_table.hpp")

    def test_library_including_the_cli_progress_line(self):
        self.assert_one_violation(
            with_file("src/util/format.cpp", '#include "progress.hpp"\n'),
            "src/util/format.cpp:1: includes 'progress.hpp': no such file "
            "src/util/progress.hpp (the CLI has tools/clvkit/progress.hpp: the library never "
            "includes the CLI)")
        code, lines, _ = run(with_file("src/report/html.cpp",
                                       '#include "../../tools/clvkit/progress.hpp"\n'))
        self.assertEqual(code, 1)
        self.assertEqual(lines[1], "src/report/html.cpp:1: includes "
                         "'../../tools/clvkit/progress.hpp' (layer 8 tools) from layer 7 report: "
                         "the library never includes the CLI")

    def test_stale_path_in_the_cli(self):
        self.assert_one_violation(
            with_file("tools/clvkit/main.cpp", '#include "clvkit/models/bgnbd.hpp"\n'),
            "tools/clvkit/main.cpp:1: includes 'clvkit/models/bgnbd.hpp': no such file "
            "include/clvkit/models/bgnbd.hpp")

    def test_user_program_including_a_private_header(self):
        code, lines, _ = run(with_file("tests/consumer/main.cpp",
                                       '#include "../../src/summary/log_scan.hpp"\n'))
        self.assertEqual(code, 1)
        self.assertEqual(lines[1], "tests/consumer/main.cpp:1: includes "
                         "'../../src/summary/log_scan.hpp' (src/summary/log_scan.hpp, not a "
                         "public header) from a user program: only include/clvkit/ headers are "
                         "installed")

    def test_new_area_without_a_layer(self):
        code, lines, _ = run(with_file("include/clvkit/cohorts/table.hpp",
                                       '#pragma once\n#include "clvkit/io/csv.hpp"\n'))
        self.assertEqual(code, 1)
        self.assertEqual(lines, ["include/clvkit/cohorts/table.hpp:1: in no layer: add its area "
                                 "to LAYERS in tools/check-layers"])

    def test_help_describes_layers_and_rules(self):
        out = subprocess.run([SCRIPT, "--help"], capture_output=True, text=True).stdout
        for words in ("0 core", "8 tools", "higher layer", "'..'", "tools/ header"):
            self.assertIn(words, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
