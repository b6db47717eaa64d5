/* Built-in well-known types by meaning (builtin_match.h): in plugin mode a
 * file named like a carried one is built in when its descriptor is the
 * carried copy's, whatever source info protoc sent with it. The command line
 * over files on disk is tested in tests/py/test_wkt_builtin.py. */
#include <stdlib.h>

#include "descriptor.h"
#include "descriptor_out.h"
#include "support.h"

static const char TIMESTAMP[] = "google/protobuf/timestamp.proto";

static const char app_proto[] =
    "syntax = \"proto3\";\n"
    "package app;\n"
    "import \"google/protobuf/timestamp.proto\";\n"
    "message Event { google.protobuf.Timestamp at = 1; }\n";

/* A timestamp.proto of the user's: the carried declarations and a field more. */
static const char own_timestamp_proto[] =
    "syntax = \"proto3\";\n"
    "package google.protobuf;\n"
    "option cc_enable_arenas = true;\n"
    "option go_package = \"google.golang.org/protobuf/types/known/timestamppb\";\n"
    "option java_package = \"com.google.protobuf\";\n"
    "option java_outer_classname = \"TimestampProto\";\n"
    "option java_multiple_files = true;\n"
    "option objc_class_prefix = \"GPB\";\n"
    "option csharp_namespace = \"Google.Protobuf.WellKnownTypes\";\n"
    "message Timestamp { int64 seconds = 1; int32 nanos = 2; string zone = 3; }\n";

static ms_File *file_named(ms_Compiler *c, const char *path) {
  ms_File *f = ms_table_get(&c->files, path);
  assert_non_null(f);
  return f;
}

/* app.proto and the timestamp.proto it finds, compiled on the command line:
 * the carried one, or `own` as an in-memory file. */
static ms_Compiler *compile_app(const char *own) {
  ms_Compiler *c = ms_compiler_new();
  if (own) ms_compiler_add_memory_file(c, TIMESTAMP, own);
  ms_compiler_add_memory_file(c, "app.proto", app_proto);
  ms_compiler_add_target(c, "app.proto");
  ms_compiler_link(c);
  assert_string_equal(diag_text(c), "");
  return c;
}

/* The CodeGeneratorRequest protoc would send for app.proto, its files encoded
 * by the command line; the timestamp file with a source_code_info appended. */
static void write_request(ms_Compiler *cli, ms_Writer *request) {
  ms_DescriptorEncoder *e = ms_descriptor_encoder_new(cli);
  ms_write_bytes_field(request, 1, "app.proto", 9);
  const char *paths[] = {TIMESTAMP, "app.proto"};
  for (unsigned i = 0; i < 2; i++) {
    ms_Writer w = {0};
    assert_true(ms_encode_file_descriptor(e, file_named(cli, paths[i]), &w));
    if (i == 0) {
      static const uint8_t one_location[] = {0x0a, 0x04, 0x0a, 0x00, 0x12, 0x00}; /* path [], span [] */
      ms_write_bytes_field(&w, 9, one_location, sizeof one_location);
    }
    ms_write_bytes_field(request, 15, w.data, w.len);
    ms_writer_free(&w);
  }
  ms_descriptor_encoder_free(e);
}

/* Whether plugin mode finds timestamp.proto built in, given the request made from `cli`. */
static bool plugin_finds_timestamp_builtin(ms_Compiler *cli) {
  ms_Writer request = {0};
  write_request(cli, &request);
  ms_Compiler *c = ms_compiler_new();
  const char *parameter;
  assert_true(ms_load_code_generator_request(c, request.data, request.len, &parameter));
  assert_true(ms_compiler_link(c));
  bool builtin = file_named(c, TIMESTAMP)->builtin;
  assert_false(file_named(c, "app.proto")->builtin);
  ms_compiler_free(c);
  ms_writer_free(&request);
  return builtin;
}

static void test_the_carried_timestamp_from_protoc_is_builtin(void **state) {
  (void)state;
  ms_Compiler *cli = compile_app(NULL);
  assert_true(file_named(cli, TIMESTAMP)->builtin); /* the fast path: the carried text */
  assert_true(plugin_finds_timestamp_builtin(cli));
  ms_compiler_free(cli);
}

static void test_a_timestamp_with_a_field_of_its_own_from_protoc_is_not(void **state) {
  (void)state;
  ms_Compiler *cli = compile_app(own_timestamp_proto);
  assert_false(plugin_finds_timestamp_builtin(cli));
  ms_compiler_free(cli);
}

/* An in-memory file is built in only by its text (the descriptor encoder's
 * cut-down descriptor.proto is one). */
static void test_an_in_memory_file_is_builtin_only_by_its_text(void **state) {
  (void)state;
  ms_Compiler *cli = compile_app(own_timestamp_proto);
  assert_false(file_named(cli, TIMESTAMP)->builtin);
  ms_compiler_free(cli);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_the_carried_timestamp_from_protoc_is_builtin),
      cmocka_unit_test(test_a_timestamp_with_a_field_of_its_own_from_protoc_is_not),
      cmocka_unit_test(test_an_in_memory_file_is_builtin_only_by_its_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
