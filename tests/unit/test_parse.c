/* Parser: what each construct becomes in the model, and error recovery. */
#include "support.h"

static ms_Message *message_at(ms_Vec *v, unsigned i) { return v->items[i]; }
static ms_Field *field_at(ms_Message *m, unsigned i) { return m->fields.items[i]; }

static void test_messages_fields_and_labels(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("a.proto",
                                "syntax = \"proto2\";\n"
                                "package p.q;\n"
                                "message M {\n"
                                "  optional int32 a = 1 [default = -5];\n"
                                "  repeated string b = 2;\n"
                                "  required M c = 3;\n"
                                "  message N { optional bool d = 1; }\n"
                                "}\n");
  assert_string_equal(diag_text(c), "");
  ms_File *f = first_file(c);
  assert_int_equal(f->syntax, MS_SYNTAX_PROTO2);
  assert_string_equal(f->package, "p.q");
  ms_Message *m = message_at(&f->messages, 0);
  assert_string_equal(m->full_name, "p.q.M");
  assert_int_equal(m->fields.count, 3);
  assert_int_equal(field_at(m, 0)->type, MS_TYPE_INT32);
  assert_true(field_at(m, 0)->default_value->negative);
  assert_int_equal(field_at(m, 1)->label, MS_LABEL_REPEATED);
  assert_int_equal(field_at(m, 2)->type, MS_TYPE_MESSAGE);
  assert_ptr_equal(field_at(m, 2)->message_type, m);
  assert_string_equal(message_at(&m->messages, 0)->full_name, "p.q.M.N");
  ms_compiler_free(c);
}

static void test_map_field_builds_entry(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("a.proto",
                                "syntax = \"proto3\";\n"
                                "message M { map<string, int64> counts_by_name = 4; }\n");
  assert_string_equal(diag_text(c), "");
  ms_Message *m = first_file(c)->messages.items[0];
  ms_Field *f = field_at(m, 0);
  assert_int_equal(f->label, MS_LABEL_REPEATED);
  assert_non_null(f->map_entry);
  assert_string_equal(f->map_entry->name, "CountsByNameEntry");
  assert_true(f->map_entry->is_map_entry);
  assert_int_equal(field_at(f->map_entry, 1)->type, MS_TYPE_INT64);
  ms_compiler_free(c);
}

static void test_group_and_oneof(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("a.proto",
                                "syntax = \"proto2\";\n"
                                "message M {\n"
                                "  optional group Result = 1 { optional string url = 2; }\n"
                                "  oneof choice { int32 x = 3; string y = 4; }\n"
                                "}\n");
  assert_string_equal(diag_text(c), "");
  ms_Message *m = first_file(c)->messages.items[0];
  ms_Field *g = field_at(m, 0);
  assert_string_equal(g->name, "result");
  assert_int_equal(g->type, MS_TYPE_GROUP);
  assert_string_equal(g->message_type->full_name, "M.Result");
  ms_Oneof *o = m->oneofs.items[0];
  assert_string_equal(o->name, "choice");
  assert_int_equal(o->fields.count, 2);
  assert_ptr_equal(field_at(m, 2)->oneof, o);
  ms_compiler_free(c);
}

static void test_services_and_streaming(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("a.proto",
                                "syntax = \"proto3\";\n"
                                "package s;\n"
                                "message R {}\n"
                                "service S {\n"
                                "  rpc A (R) returns (R);\n"
                                "  rpc B (stream R) returns (stream .s.R) { option deprecated = true; }\n"
                                "}\n");
  assert_string_equal(diag_text(c), "");
  ms_Service *s = first_file(c)->services.items[0];
  ms_Method *b = s->methods.items[1];
  assert_string_equal(b->full_name, "s.S.B");
  assert_true(b->client_streaming);
  assert_true(b->server_streaming);
  assert_string_equal(b->output->full_name, "s.R");
  assert_int_equal(b->options.count, 1);
  ms_compiler_free(c);
}

static void test_options_and_aggregates(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("a.proto",
                                "syntax = \"proto3\";\n"
                                "import \"google/protobuf/descriptor.proto\";\n"
                                "extend google.protobuf.MessageOptions { Rule rule = 5000; }\n"
                                "message Rule { int32 min = 1; repeated string tags = 2; }\n"
                                "message M { option (rule) = { min: 3 tags: [\"a\", \"b\"] }; }\n");
  ms_compiler_free(c);
  /* descriptor.proto is not in memory: the import fails cleanly */
  c = ms_compiler_new();
  ms_compiler_add_memory_file(c, "google/protobuf/descriptor.proto",
                              "syntax = \"proto2\"; package google.protobuf;\n"
                              "message MessageOptions { extensions 1000 to max; }\n");
  ms_compiler_add_memory_file(c, "a.proto",
                              "syntax = \"proto3\";\n"
                              "import \"google/protobuf/descriptor.proto\";\n"
                              "extend google.protobuf.MessageOptions { Rule rule = 5000; }\n"
                              "message Rule { int32 min = 1; repeated string tags = 2; }\n"
                              "message M { option (rule) = { min: 3 tags: [\"a\", \"b\"] }; }\n");
  ms_compiler_add_target(c, "a.proto");
  ms_compiler_link(c);
  assert_string_equal(diag_text(c), "");
  ms_Message *m = first_file(c)->messages.items[1];
  ms_Option *o = m->options.items[0];
  assert_string_equal(o->name, "(rule)");
  assert_int_equal(o->value.kind, MS_VALUE_AGGREGATE);
  assert_string_equal(o->value.text, "min: 3 tags: [\"a\", \"b\"]");
  assert_non_null(o->resolved);
  ms_compiler_free(c);
}

static void test_every_error_is_reported(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("a.proto",
                                "syntax = \"proto3\";\n"
                                "message A { int32 x 1; }\n"
                                "message B { string = 2; }\n"
                                "message C { int32 ok = 1; }\n"
                                "enum E { ONE = ; }\n");
  assert_int_equal(c->diag.errors, 3);
  assert_diag_contains(c, "a.proto:2:21: error: expected \"=\", found \"1\"");
  assert_diag_contains(c, "a.proto:3:20: error: expected a field name, found \"=\"");
  assert_diag_contains(c, "a.proto:5:16: error: expected an enum value number, found \";\"");
  ms_compiler_free(c);
}

static void test_comments_attach_to_declarations(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("a.proto",
                                "syntax = \"proto3\";\n"
                                "// The message.\n"
                                "message M {\n"
                                "  int32 x = 1; // About x.\n"
                                "}\n");
  ms_Message *m = first_file(c)->messages.items[0];
  assert_string_equal(m->comments.leading, " The message.\n");
  assert_string_equal(field_at(m, 0)->comments.trailing, " About x.\n");
  ms_compiler_free(c);
}

static void test_editions_features_resolve(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("a.proto",
                                "edition = \"2023\";\n"
                                "option features.field_presence = IMPLICIT;\n"
                                "message M {\n"
                                "  int32 a = 1;\n"
                                "  int32 b = 2 [features.field_presence = EXPLICIT];\n"
                                "  M c = 3 [features.message_encoding = DELIMITED];\n"
                                "  repeated int32 d = 4 [features.repeated_field_encoding = EXPANDED];\n"
                                "  int32 e = 5 [features.field_presence = LEGACY_REQUIRED];\n"
                                "}\n"
                                "enum E { option features.enum_type = CLOSED; ONE = 1; }\n");
  assert_string_equal(diag_text(c), "");
  ms_Message *m = first_file(c)->messages.items[0];
  assert_false(field_at(m, 0)->has_presence);
  assert_true(field_at(m, 1)->has_presence);
  assert_int_equal(field_at(m, 2)->type, MS_TYPE_GROUP);
  assert_false(field_at(m, 3)->packed);
  assert_int_equal(field_at(m, 4)->label, MS_LABEL_REQUIRED);
  ms_Enum *e = first_file(c)->enums.items[0];
  assert_true(e->closed);
  ms_compiler_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_messages_fields_and_labels),
      cmocka_unit_test(test_map_field_builds_entry),
      cmocka_unit_test(test_group_and_oneof),
      cmocka_unit_test(test_services_and_streaming),
      cmocka_unit_test(test_options_and_aggregates),
      cmocka_unit_test(test_every_error_is_reported),
      cmocka_unit_test(test_comments_attach_to_declarations),
      cmocka_unit_test(test_editions_features_resolve),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
