/* Source text is UTF-8 (issue 20): the UTF-8 check itself, a Latin-1
 * comment (a warning, repaired text) and string (an error), escapes that
 * spell non-UTF-8 text, diagnostics that show bad bytes escaped, --quiet,
 * progress lines, text targets (stdin) and a folder given as input. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>

#include "lex_fixture.h"

static void test_utf8_sequence_len(void **state) {
  (void)state;
  assert_int_equal(ms_utf8_sequence_len("a", 1), 1);
  assert_int_equal(ms_utf8_sequence_len("\xC3\xA9", 2), 2); /* é */
  assert_int_equal(ms_utf8_sequence_len("\xE2\x82\xAC", 3), 3); /* € */
  assert_int_equal(ms_utf8_sequence_len("\xF0\x9F\x98\x80", 4), 4); /* U+1F600 */
  assert_int_equal(ms_utf8_sequence_len("\xE9", 1), 0); /* Latin-1 é */
  assert_int_equal(ms_utf8_sequence_len("\xE9t", 2), 0);
  assert_int_equal(ms_utf8_sequence_len("\x80", 1), 0); /* stray continuation */
  assert_int_equal(ms_utf8_sequence_len("\xC0\x80", 2), 0); /* overlong */
  assert_int_equal(ms_utf8_sequence_len("\xE0\x80\x80", 3), 0); /* overlong */
  assert_int_equal(ms_utf8_sequence_len("\xED\xA0\x80", 3), 0); /* a surrogate */
  assert_int_equal(ms_utf8_sequence_len("\xF4\x90\x80\x80", 4), 0); /* past U+10FFFF */
  assert_int_equal(ms_utf8_sequence_len("\xE2\x82", 2), 0); /* cut short */
  assert_int_equal(ms_utf8_invalid_at("caf\xC3\xA9", 5), 5);
  assert_int_equal(ms_utf8_invalid_at("caf\xE9!", 5), 3);
  /* the ASCII fast path goes 8 bytes at a time: a bad byte anywhere is found */
  char text[40];
  for (size_t at = 0; at < sizeof text; at++) {
    memset(text, 'a', sizeof text);
    text[at] = '\xE9';
    assert_int_equal(ms_utf8_invalid_at(text, sizeof text), at);
    if (at + 1 < sizeof text) {
      text[at] = '\xC3'; /* é in UTF-8 over two bytes, maybe across a word */
      text[at + 1] = '\xA9';
      assert_int_equal(ms_utf8_invalid_at(text, sizeof text), sizeof text);
    }
  }
}

static const char *text_of(const ms_Diag *d) { return d->text ? d->text : ""; }

static void test_latin1_comment_is_a_warning_and_repaired(void **state) {
  (void)state;
  Fixture f;
  start(&f, "// caf\xE9 and na\xEFve\n\n/* x\n * d\xE9j\xE0 */\nb");
  ms_Token t = ms_lex_next(&f.lx);
  assert_true(ms_tok_is(&t, "b"));
  assert_int_equal(f.diag.errors, 0);
  assert_int_equal(f.diag.warnings, 1); /* once per file */
  assert_string_equal(text_of(&f.diag),
                      "t.proto:1:7: warning: comment is not valid UTF-8 (byte 0xE9); bad bytes in this file's "
                      "comments become U+FFFD; save the file as UTF-8\n"
                      "// caf\\xe9 and na\\xefve\n"
                      "      ^\n");
  assert_int_equal(t.comments.detached.count, 1);
  assert_string_equal(t.comments.detached.items[0], " caf\xEF\xBF\xBD and na\xEF\xBF\xBDve\n");
  assert_string_equal(t.comments.leading, " x\n d\xEF\xBF\xBDj\xEF\xBF\xBD ");
  stop(&f);
}

static void test_block_comment_warning_points_at_its_line(void **state) {
  (void)state;
  Fixture f;
  start(&f, "/* fine\n   also fine\n   bad \xFF here */\nx");
  ms_Token t = ms_lex_next(&f.lx);
  assert_true(ms_tok_is(&t, "x"));
  assert_int_equal(f.diag.warnings, 1);
  assert_non_null(strstr(text_of(&f.diag), "t.proto:3:8: warning: comment is not valid UTF-8 (byte 0xFF)"));
  stop(&f);
}

static void test_utf8_comment_and_string_are_kept(void **state) {
  (void)state;
  Fixture f;
  start(&f, "// caf\xC3\xA9\nx \"\xE2\x82\xAC 5\"");
  ms_Token t = ms_lex_next(&f.lx);
  assert_string_equal(t.comments.leading, " caf\xC3\xA9\n");
  t = ms_lex_next(&f.lx);
  assert_string_equal(t.str, "\xE2\x82\xAC 5");
  assert_int_equal(f.diag.warnings + f.diag.errors, 0);
  stop(&f);
}

static void test_latin1_string_literal_is_an_error(void **state) {
  (void)state;
  Fixture f;
  start(&f, "x = \"caf\xE9 cr\xE8me\";");
  ms_lex_next(&f.lx);
  ms_lex_next(&f.lx);
  ms_Token t = ms_lex_next(&f.lx);
  assert_int_equal(t.kind, MS_TOK_STRING);
  /* one error per literal, at the first bad byte; the text carries U+FFFD */
  assert_int_equal(f.diag.errors, 1);
  assert_string_equal(text_of(&f.diag),
                      "t.proto:1:9: error: string literal is not valid UTF-8 (byte 0xE9); save the file as UTF-8, "
                      "or write the byte as an escape (\"\\xE9\")\n"
                      "x = \"caf\\xe9 cr\\xe8me\";\n"
                      "        ^\n");
  assert_string_equal(t.str, "caf\xEF\xBF\xBD cr\xEF\xBF\xBDme");
  stop(&f);
}

static void test_escaped_bytes_are_allowed_in_literals(void **state) {
  (void)state;
  Fixture f;
  start(&f, "\"\\xff\\351\"");
  ms_Token t = ms_lex_next(&f.lx);
  assert_int_equal(t.str_len, 2);
  assert_memory_equal(t.str, "\xFF\xE9", 2);
  assert_int_equal(f.diag.errors, 0);
  stop(&f);
}

static void test_text_from_escapes_must_be_utf8(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("t.proto",
                                "syntax = \"proto2\";\n"
                                "message M {\n"
                                "  optional string s = 1 [default = \"\\xff\", json_name = \"j\\xe9\"];\n"
                                "  optional bytes b = 2 [default = \"\\xff\"];\n"
                                "  optional string ok = 3 [default = \"\\303\\251\"];\n"
                                "}\n");
  assert_int_equal(c->diag.errors, 2);
  assert_diag_contains(c,
                       "t.proto:3:36: error: the default of a string field is not valid UTF-8 (byte 0xFF at offset 0)");
  assert_diag_contains(c, "t.proto:3:56: error: json_name is not valid UTF-8 (byte 0xE9 at offset 1)");
  ms_compiler_free(c);
}

static void test_fdl_and_fbs_strings_are_checked(void **state) {
  (void)state;
  ms_Compiler *c =
      compile_text("t.fdl", "package p;\n// caf\xE9\nmessage M [alias = \"\\xe9\"] {\n  string s = 1;\n}\n");
  assert_int_equal(c->diag.warnings, 1);
  assert_diag_contains(c, "t.fdl:3:20: error: a string value is not valid UTF-8 (byte 0xE9 at offset 0)");
  ms_compiler_free(c);
  c = compile_text("t.fbs", "namespace p;\nattribute \"a\xE9\";\ntable T { s: string; }\n");
  assert_diag_contains(c, "t.fbs:2:13: error: string literal is not valid UTF-8 (byte 0xE9)");
  ms_compiler_free(c);
}

static void test_source_lines_are_escaped_and_caret_aligned(void **state) {
  (void)state;
  ms_Diag d;
  ms_diag_init(&d);
  /* a NUL, a control byte, é in UTF-8, a Latin-1 byte, then the target "X" */
  static const char text[] = "a\x00\x01\xC3\xA9\xE9\tX\r\n";
  ms_Source src = {"b.proto", text, sizeof text - 1};
  ms_Loc loc = {&src, 1, 8};
  ms_error(&d, loc, "bad %s", "\xFFthing\x1B");
  assert_string_equal(text_of(&d),
                      "b.proto:1:8: error: bad \\xffthing\\x1b\n"
                      "a\\x00\\x01\xC3\xA9\\xe9\tX\n"
                      "              \t^\n");
  ms_diag_free(&d);
}

static void test_quiet_hides_warnings_and_their_notes(void **state) {
  (void)state;
  ms_Diag d;
  ms_diag_init(&d);
  d.quiet = true;
  ms_diag_plain(&d, MS_WARNING, "w");
  ms_diag_plain(&d, MS_NOTE, "note of w");
  ms_diag_plain(&d, MS_ERROR, "e");
  ms_diag_plain(&d, MS_NOTE, "note of e");
  assert_string_equal(text_of(&d), "moonstub: error: e\nmoonstub: note: note of e\n");
  assert_int_equal(d.warnings, 1);
  assert_int_equal(d.errors, 1);
  ms_diag_free(&d);
}

static char *read_back(FILE *fp) {
  long n = ftell(fp);
  rewind(fp);
  char *s = calloc(1, (size_t)n + 1);
  assert_non_null(s);
  assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
  return s;
}

static void test_progress_lines(void **state) {
  (void)state;
  FILE *fp = tmpfile();
  assert_non_null(fp);
  ms_Diag d;
  ms_diag_init(&d);
  ms_progress_start(&d, MS_PROGRESS_LINES, fp);
  ms_progress_count(&d, MS_COUNT_PARSED);
  ms_progress_count(&d, MS_COUNT_PARSED);
  ms_progress_step(&d, "linking");
  ms_progress_step(&d, "generating");
  ms_progress_count(&d, MS_COUNT_GENERATED);
  ms_progress_step(&d, "writing");
  ms_progress_count(&d, MS_COUNT_WRITTEN);
  ms_progress_end(&d);
  ms_progress_count(&d, MS_COUNT_PARSED); /* after the end: silent */
  char *out = read_back(fp);
  assert_string_equal(out,
                      "moonstub: linking: 2 files parsed, 0.0s\n"
                      "moonstub: generating: 2 files parsed, 0 modules generated, 0.0s\n"
                      "moonstub: writing: 2 files parsed, 1 module generated, 0.0s\n"
                      "moonstub: done: 2 files parsed, 1 module generated, 1 file written, 0.0s\n");
  free(out);
  fclose(fp);
  ms_diag_free(&d);
}

static void test_progress_tty_is_silent_in_a_short_run(void **state) {
  (void)state;
  FILE *fp = tmpfile();
  assert_non_null(fp);
  ms_Diag d;
  ms_diag_init(&d);
  ms_progress_start(&d, MS_PROGRESS_TTY, fp);
  for (int i = 0; i < 1000; i++) ms_progress_count(&d, MS_COUNT_PARSED);
  ms_progress_step(&d, "linking");
  ms_progress_end(&d);
  assert_int_equal(ftell(fp), 0);
  fclose(fp);
  ms_diag_free(&d);
}

static void test_text_target_is_shown_by_its_display_name(void **state) {
  (void)state;
  ms_Compiler *c = ms_compiler_new();
  static const char text[] = "syntax = \"proto3\";\nmessage M { Missing m = 1; }\n";
  assert_true(ms_compiler_add_text_target(c, "stdin.proto", "<stdin>", text, sizeof text - 1));
  assert_false(ms_compiler_link(c));
  assert_diag_contains(c, "<stdin>:2:13: error: \"Missing\" is not defined");
  ms_File *f = first_file(c);
  assert_string_equal(f->path, "stdin.proto");
  assert_true(f->is_target);
  ms_compiler_free(c);
}

static void test_folder_as_input(void **state) {
  (void)state;
  ms_Compiler *c = ms_compiler_new();
  ms_compiler_add_root(c, "/");
  assert_false(ms_compiler_add_target(c, "tmp"));
  assert_string_equal(diag_text(c), "moonstub: error: tmp: input file is a directory\n");
  ms_compiler_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_utf8_sequence_len),
      cmocka_unit_test(test_latin1_comment_is_a_warning_and_repaired),
      cmocka_unit_test(test_block_comment_warning_points_at_its_line),
      cmocka_unit_test(test_utf8_comment_and_string_are_kept),
      cmocka_unit_test(test_latin1_string_literal_is_an_error),
      cmocka_unit_test(test_escaped_bytes_are_allowed_in_literals),
      cmocka_unit_test(test_text_from_escapes_must_be_utf8),
      cmocka_unit_test(test_fdl_and_fbs_strings_are_checked),
      cmocka_unit_test(test_source_lines_are_escaped_and_caret_aligned),
      cmocka_unit_test(test_quiet_hides_warnings_and_their_notes),
      cmocka_unit_test(test_progress_lines),
      cmocka_unit_test(test_progress_tty_is_silent_in_a_short_run),
      cmocka_unit_test(test_text_target_is_shown_by_its_display_name),
      cmocka_unit_test(test_folder_as_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
