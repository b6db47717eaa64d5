/* Lexer: tokens, numbers, strings, and protoc's comment attachment rules. */
#include "support.h"

#include "lex_fixture.h"

static void test_tokens_and_positions(void **state) {
  (void)state;
  Fixture f;
  start(&f, "message Foo {\n  int32 x = 1;\n}");
  ms_Token t = ms_lex_next(&f.lx);
  assert_int_equal(t.kind, MS_TOK_IDENT);
  assert_true(ms_tok_is(&t, "message"));
  assert_int_equal(t.loc.line, 1);
  assert_int_equal(t.loc.col, 1);
  t = ms_lex_next(&f.lx);
  assert_true(ms_tok_is(&t, "Foo"));
  assert_int_equal(t.loc.col, 9);
  t = ms_lex_next(&f.lx);
  assert_true(ms_tok_is_symbol(&t, '{'));
  t = ms_lex_next(&f.lx);
  assert_true(ms_tok_is(&t, "int32"));
  assert_int_equal(t.loc.line, 2);
  assert_int_equal(t.loc.col, 3);
  for (int i = 0; i < 5; i++) t = ms_lex_next(&f.lx);
  assert_true(ms_tok_is_symbol(&t, '}'));
  t = ms_lex_next(&f.lx);
  assert_int_equal(t.kind, MS_TOK_EOF);
  assert_int_equal(f.diag.errors, 0);
  stop(&f);
}

static void test_numbers(void **state) {
  (void)state;
  Fixture f;
  start(&f, "0x1F 017 42 1.5 1e3 .5 18446744073709551615 18446744073709551616");
  ms_Token t = ms_lex_next(&f.lx);
  assert_int_equal(t.int_value, 31);
  t = ms_lex_next(&f.lx);
  assert_int_equal(t.int_value, 15);
  t = ms_lex_next(&f.lx);
  assert_int_equal(t.int_value, 42);
  t = ms_lex_next(&f.lx);
  assert_int_equal(t.kind, MS_TOK_FLOAT);
  t = ms_lex_next(&f.lx);
  assert_int_equal(t.kind, MS_TOK_FLOAT);
  t = ms_lex_next(&f.lx);
  assert_int_equal(t.kind, MS_TOK_FLOAT);
  t = ms_lex_next(&f.lx);
  assert_false(t.overflow);
  assert_true(t.int_value == UINT64_MAX);
  t = ms_lex_next(&f.lx);
  assert_true(t.overflow);
  stop(&f);
}

static void test_string_escapes(void **state) {
  (void)state;
  Fixture f;
  start(&f, "\"a\\n\\x41\\101\\u00e9\\\"\" 'single'");
  ms_Token t = ms_lex_next(&f.lx);
  assert_int_equal(t.kind, MS_TOK_STRING);
  assert_string_equal(t.str, "a\nAA\xc3\xa9\"");
  t = ms_lex_next(&f.lx);
  assert_string_equal(t.str, "single");
  assert_int_equal(f.diag.errors, 0);
  stop(&f);
}

static void test_unterminated_string_is_reported(void **state) {
  (void)state;
  Fixture f;
  start(&f, "\"abc\nx");
  ms_lex_next(&f.lx);
  assert_int_equal(f.diag.errors, 1);
  assert_non_null(strstr(f.diag.text, "t.proto:1:1: error: string literals cannot cross line boundaries"));
  stop(&f);
}

/* The example of protoc's Tokenizer documentation. */
static void test_comment_attachment(void **state) {
  (void)state;
  Fixture f;
  start(&f,
        "a = 1;  // trailing a\n"
        "// leading b\n"
        "b = 2;\n"
        "c = 3;\n"
        "// trailing c\n"
        "\n"
        "// detached\n"
        "\n"
        "// leading d\n"
        "d = 4;\n");
  ms_Token t;
  for (int i = 0; i < 4; i++) t = ms_lex_next(&f.lx); /* a = 1 ; */
  t = ms_lex_next(&f.lx); /* b */
  assert_string_equal(t.comments.trailing, " trailing a\n");
  assert_string_equal(t.comments.leading, " leading b\n");
  for (int i = 0; i < 4; i++) t = ms_lex_next(&f.lx); /* = 2 ; c */
  assert_null(t.comments.leading);
  for (int i = 0; i < 4; i++) t = ms_lex_next(&f.lx); /* = 3 ; d */
  assert_true(ms_tok_is(&t, "d"));
  assert_string_equal(t.comments.trailing, " trailing c\n");
  assert_int_equal(t.comments.detached.count, 1);
  assert_string_equal(t.comments.detached.items[0], " detached\n");
  assert_string_equal(t.comments.leading, " leading d\n");
  stop(&f);
}

static void test_block_comment_strips_stars(void **state) {
  (void)state;
  Fixture f;
  start(&f, "/* first\n * second\n */\nx");
  ms_Token t = ms_lex_next(&f.lx);
  assert_true(ms_tok_is(&t, "x"));
  assert_string_equal(t.comments.leading, " first\n second\n");
  stop(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tokens_and_positions), cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_string_escapes),       cmocka_unit_test(test_unterminated_string_is_reported),
      cmocka_unit_test(test_comment_attachment),   cmocka_unit_test(test_block_comment_strips_stars),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
