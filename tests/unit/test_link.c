/* Linker: imports, scoping rules, visibility, and protoc's checks. */
#include "support.h"

static ms_Compiler *compile_files(const char *const *paths_and_texts, const char *target) {
  ms_Compiler *c = ms_compiler_new();
  for (const char *const *p = paths_and_texts; *p; p += 2) ms_compiler_add_memory_file(c, p[0], p[1]);
  ms_compiler_add_target(c, target);
  if (ms_compiler_ok(c)) ms_compiler_link(c);
  return c;
}

static ms_Field *field_of(ms_Compiler *c, unsigned msg, unsigned field) {
  ms_Message *m = first_file(c)->messages.items[msg];
  return m->fields.items[field];
}

static void test_relative_and_qualified_names(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("a.proto",
                                "syntax = \"proto3\";\n"
                                "package a.b;\n"
                                "message T {}\n"
                                "message O {\n"
                                "  message T {}\n"
                                "  T inner = 1;\n"
                                "  .a.b.T outer = 2;\n"
                                "  b.T partial = 3;\n"
                                "}\n");
  assert_string_equal(diag_text(c), "");
  assert_string_equal(field_of(c, 1, 0)->message_type->full_name, "a.b.O.T");
  assert_string_equal(field_of(c, 1, 1)->message_type->full_name, "a.b.T");
  assert_string_equal(field_of(c, 1, 2)->message_type->full_name, "a.b.T");
  ms_compiler_free(c);
}

static void test_dependencies_come_first(void **state) {
  (void)state;
  const char *files[] = {"x.proto", "syntax = \"proto3\"; package x; message X {}", "y.proto",
                         "syntax = \"proto3\"; import \"x.proto\"; package y; message Y { x.X x = 1; }", NULL};
  ms_Compiler *c = compile_files(files, "y.proto");
  assert_string_equal(diag_text(c), "");
  assert_int_equal(c->schema.files.count, 2);
  assert_string_equal(((ms_File *)c->schema.files.items[0])->path, "x.proto");
  assert_false(((ms_File *)c->schema.files.items[0])->is_target);
  assert_true(((ms_File *)c->schema.files.items[1])->is_target);
  ms_compiler_free(c);
}

static void test_public_imports_are_visible_transitively(void **state) {
  (void)state;
  const char *files[] = {"x.proto",   "syntax = \"proto3\"; package x; message X {}",
                         "p.proto",   "syntax = \"proto3\"; import public \"x.proto\";",
                         "n.proto",   "syntax = \"proto3\"; import \"x.proto\";",
                         "ok.proto",  "syntax = \"proto3\"; import \"p.proto\"; message A { x.X x = 1; }",
                         "bad.proto", "syntax = \"proto3\"; import \"n.proto\"; message A { x.X x = 1; }",
                         NULL};
  ms_Compiler *c = compile_files(files, "ok.proto");
  assert_string_equal(diag_text(c), "");
  ms_compiler_free(c);
  c = compile_files(files, "bad.proto");
  assert_diag_contains(c, "\"x.X\" seems to be defined in \"x.proto\", which is not imported by \"bad.proto\"");
  ms_compiler_free(c);
}

static void test_import_cycle(void **state) {
  (void)state;
  const char *files[] = {"a.proto", "syntax = \"proto3\"; import \"b.proto\";", "b.proto",
                         "syntax = \"proto3\"; import \"a.proto\";", NULL};
  ms_Compiler *c = compile_files(files, "a.proto");
  assert_diag_contains(c, "b.proto:1:27: error: import cycle: a.proto -> b.proto -> a.proto");
  ms_compiler_free(c);
}

static void test_missing_import(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("a.proto", "syntax = \"proto3\";\nimport \"nope.proto\";\n");
  assert_diag_contains(c, "a.proto:2:8: error: import \"nope.proto\" was not found in the import path");
  ms_compiler_free(c);
}

static void test_number_checks(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("a.proto",
                                "syntax = \"proto2\";\n"
                                "message M {\n"
                                "  optional int32 a = 1;\n"
                                "  optional int32 b = 1;\n"
                                "  optional int32 c = 19001;\n"
                                "  optional int32 d = 536870912;\n"
                                "  optional int32 e = 7;\n"
                                "  reserved 7;\n"
                                "  reserved \"f\";\n"
                                "  optional int32 f = 8;\n"
                                "}\n");
  assert_int_equal(c->diag.errors, 5);
  assert_diag_contains(c, "field number 1 has already been used in \"M\" by field \"a\"");
  assert_diag_contains(c, "field numbers 19000 through 19999 are reserved");
  assert_diag_contains(c, "field numbers cannot be greater than 536870911");
  assert_diag_contains(c, "field \"e\" uses reserved number 7");
  assert_diag_contains(c, "field name \"f\" is reserved");
  ms_compiler_free(c);
}

static void test_proto3_rules(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("a.proto",
                                "syntax = \"proto3\";\n"
                                "enum E { ONE = 1; }\n"
                                "message M {\n"
                                "  required int32 a = 1;\n"
                                "  int32 b = 2 [default = 3];\n"
                                "  map<float, int32> m = 3;\n"
                                "}\n");
  assert_int_equal(c->diag.errors, 4);
  assert_diag_contains(c, "the first enum value must be zero");
  assert_diag_contains(c, "required fields are not allowed in proto3");
  assert_diag_contains(c, "explicit default values are not allowed in proto3");
  assert_diag_contains(c, "map keys cannot be float/double, bytes or message types");
  ms_compiler_free(c);
}

static void test_proto3_optional_gets_synthetic_oneof(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("a.proto",
                                "syntax = \"proto3\";\n"
                                "message M { optional int32 x = 1; int32 y = 2; }\n");
  assert_string_equal(diag_text(c), "");
  ms_Field *x = field_of(c, 0, 0);
  assert_true(x->proto3_optional);
  assert_true(x->has_presence);
  assert_string_equal(x->oneof->name, "_x");
  assert_true(x->oneof->synthetic);
  assert_false(field_of(c, 0, 1)->has_presence);
  assert_string_equal(x->json_name, "x");
  ms_compiler_free(c);
}

static void test_enum_value_scoping(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("a.proto",
                                "syntax = \"proto3\";\n"
                                "package p;\n"
                                "enum A { NONE = 0; }\n"
                                "enum B { NONE = 0; }\n");
  assert_diag_contains(c,
                       "a.proto:4:10: error: \"NONE\" is already defined in \"p\"; enum values use C++ scoping rules");
  ms_compiler_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_relative_and_qualified_names),
      cmocka_unit_test(test_dependencies_come_first),
      cmocka_unit_test(test_public_imports_are_visible_transitively),
      cmocka_unit_test(test_import_cycle),
      cmocka_unit_test(test_missing_import),
      cmocka_unit_test(test_number_checks),
      cmocka_unit_test(test_proto3_rules),
      cmocka_unit_test(test_proto3_optional_gets_synthetic_oneof),
      cmocka_unit_test(test_enum_value_scoping),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
