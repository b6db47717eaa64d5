/* file.descriptor: the model's files as protoc's serialized FileDescriptorProtos
 * (descriptor_out.h). The expected bytes are what `protoc --descriptor_set_out`
 * writes for the same text (tests/py/reflection compares whole corpora). */
#include <stdio.h>
#include <stdlib.h>

#include "descriptor.h"
#include "descriptor_out.h"
#include "support.h"

/* Options merged and ordered by number, a source-retention option dropped, a
 * packed repeated option, a map entry, proto3 optional, an empty method body. */
static const char u_proto[] =
    "syntax = \"proto3\";\n"
    "package u;\n"
    "import \"google/protobuf/descriptor.proto\";\n"
    "message Opt { int32 a = 1; repeated int32 b = 2; string s = 3; }\n"
    "extend google.protobuf.MessageOptions { Opt opt = 50001; int32 src = 50002 [retention = RETENTION_SOURCE]; }\n"
    "extend google.protobuf.FieldOptions { repeated int32 nums = 50003; }\n"
    "message M {\n"
    "  option (opt).b = 2; option (src) = 1; option (opt).a = 5; option (opt).b = 1; option (opt).s = \"x\\ty\";\n"
    "  map<string, int32> m = 1 [(nums) = 7, (nums) = 3];\n"
    "  optional double d = 2;\n"
    "  oneof k { string t = 3; }\n"
    "  enum E { E_ZERO = 0; E_NEG = -1; }\n"
    "  reserved 10 to max;\n"
    "}\n"
    "service S { rpc A(M) returns (M) {} rpc B(stream M) returns (stream M); }\n"
    "message N { option (opt) = { a: 5 b: [3, 1] s: \"x\\ty\" }; }\n";

static const char u_descriptor[] =
    "0a07752e70726f746f1201751a20676f6f676c652f70726f746f6275662f64657363726970746f722e70726f746f222f"
    "0a034f7074120c0a0161180120012805520161120c0a0162180220032805520162120c0a017318032001280952017322"
    "ca010a014d12210a016d18012003280b320b2e752e4d2e4d456e74727942069ab51802070352016d12110a0164180220"
    "0128014801520164880101120e0a017418032001280948005201741a340a064d456e74727912100a036b657918012001"
    "280952036b657912140a0576616c7565180220012805520576616c75653a02380122230a0145120a0a06455f5a45524f"
    "100012120a05455f4e454710ffffffffffffffffff013a0f8ab5180b0805120202011a0378097942030a016b42040a02"
    "5f644a08080a10808080800222140a014e3a0f8ab5180b0805120203011a03780979322b0a015312110a014112042e75"
    "2e4d1a042e752e4d220012130a014212042e752e4d1a042e752e4d280130013a3b0a036f7074121f2e676f6f676c652e"
    "70726f746f6275662e4d6573736167654f7074696f6e7318d186032001280b32062e752e4f707452036f70743a380a03"
    "737263121f2e676f6f676c652e70726f746f6275662e4d6573736167654f7074696f6e7318d286032001280542038801"
    "0252037372633a330a046e756d73121d2e676f6f676c652e70726f746f6275662e4669656c644f7074696f6e7318d386"
    "032003280552046e756d73620670726f746f33";

/* A group, defaults as protoc writes them, an extension range to max. */
static const char p_proto[] =
    "syntax = \"proto2\";\n"
    "package p;\n"
    "message G {\n"
    "  optional group Grp = 1 { optional bytes b = 2 [default = \"\\001\\\"z\"]; }\n"
    "  optional float f = 3 [default = 0.1];\n"
    "  optional int64 i = 4 [default = -9223372036854775808];\n"
    "  extensions 100 to max;\n"
    "}\n"
    "extend G { optional int32 x = 100; }\n";

static const char p_descriptor[] =
    "0a07702e70726f746f120170227e0a0147121a0a0367727018012001280a32082e702e472e477270520367727012110a"
    "01661803200128023a03302e3152016612220a01691804200128033a142d393232333337323033363835343737353830"
    "385201691a1c0a0347727012150a016218022001280c3a075c3030315c227a5201622a0808641080808080023a120a01"
    "7812042e702e47186420012805520178";

static char *hex_of(const uint8_t *data, size_t len) {
  char *out = malloc(len * 2 + 1);
  for (size_t i = 0; i < len; i++) snprintf(out + 2 * i, 3, "%02x", data[i]);
  out[len * 2] = '\0';
  return out;
}

static ms_File *file_named(ms_Compiler *c, const char *path) {
  ms_File *f = ms_table_get(&c->files, path);
  assert_non_null(f);
  return f;
}

static void assert_descriptor(ms_DescriptorEncoder *e, ms_Compiler *c, const char *path, const char *hex) {
  ms_Writer w = {0};
  assert_true(ms_encode_file_descriptor(e, file_named(c, path), &w));
  char *got = hex_of(w.data, w.len);
  assert_string_equal(got, hex);
  free(got);
  ms_writer_free(&w);
}

static ms_Compiler *compile_u_and_p(void) {
  ms_Compiler *c = ms_compiler_new();
  ms_compiler_add_memory_file(c, "u.proto", u_proto);
  ms_compiler_add_memory_file(c, "p.proto", p_proto);
  ms_compiler_add_target(c, "u.proto");
  ms_compiler_add_target(c, "p.proto");
  ms_compiler_link(c);
  assert_string_equal(diag_text(c), "");
  return c;
}

static void test_cli_descriptors_are_protocs(void **state) {
  (void)state;
  ms_Compiler *c = compile_u_and_p();
  ms_DescriptorEncoder *e = ms_descriptor_encoder_new(c);
  assert_descriptor(e, c, "u.proto", u_descriptor);
  assert_descriptor(e, c, "p.proto", p_descriptor);
  assert_descriptor(e, c, "u.proto", u_descriptor); /* again, from the same encoder */
  ms_descriptor_encoder_free(e);
  ms_compiler_free(c);
}

static void test_idl_files_have_none(void **state) {
  (void)state;
  ms_Compiler *c = compile_text("x.fdl", "package a;\nmessage M {\n  int32 x = 1;\n}\n");
  assert_string_equal(diag_text(c), "");
  ms_DescriptorEncoder *e = ms_descriptor_encoder_new(c);
  ms_Writer w = {0};
  assert_false(ms_encode_file_descriptor(e, first_file(c), &w));
  assert_int_equal(w.len, 0);
  ms_descriptor_encoder_free(e);
  ms_compiler_free(c);
}

/* v.proto as protoc hands an imported file to a plugin: its options in the
 * order they were written, one of them with source retention, the option
 * message split in two; and a source_code_info the plugin must drop. */
static const uint8_t v_request_file[] = {0x0a, 0x07, 'v',  '.',  'p',  'r',  'o', 't', 'o', /* name */
                                         0x12, 0x01, 'v', /* package */
                                         0x1a, 0x07, 'u',  '.',  'p',  'r',  'o', 't', 'o', /* dependency */
                                         0x22, 0x15, 0x0a, 0x01, 'V', /* message V */
                                         0x3a, 0x10, /*   options */
                                         0x90, 0xb5, 0x18, 0x01, /*     (src) = 1 */
                                         0x8a, 0xb5, 0x18, 0x02, 0x10, 0x02, /*     (opt) {b: 2} unpacked */
                                         0x8a, 0xb5, 0x18, 0x02, 0x08, 0x05, /*     (opt) {a: 5} */
                                         0x4a, 0x02, 0x0a, 0x00, /* source_code_info */
                                         0x62, 0x06, 'p',  'r',  'o',  't',  'o', '3'}; /* syntax */

static const char v_descriptor[] =
    "0a07762e70726f746f1201761a07752e70726f746f220e0a01563a098ab518050805120102"
    "620670726f746f33";

static void add_file(ms_Writer *request, const uint8_t *data, size_t len) {
  ms_write_bytes_field(request, 15, data, len);
}

static void test_plugin_descriptors_are_made_canonical(void **state) {
  (void)state;
  /* the request: descriptor.proto and u.proto as the command line encodes them, then v.proto */
  ms_Compiler *cli = compile_u_and_p();
  ms_DescriptorEncoder *e = ms_descriptor_encoder_new(cli);
  ms_Writer request = {0};
  ms_write_bytes_field(&request, 1, "v.proto", 7);
  const char *paths[] = {"google/protobuf/descriptor.proto", "u.proto"};
  for (unsigned i = 0; i < 2; i++) {
    ms_Writer w = {0};
    assert_true(ms_encode_file_descriptor(e, file_named(cli, paths[i]), &w));
    add_file(&request, w.data, w.len);
    ms_writer_free(&w);
  }
  add_file(&request, v_request_file, sizeof v_request_file);
  ms_descriptor_encoder_free(e);

  ms_Compiler *c = ms_compiler_new();
  const char *parameter;
  assert_true(ms_load_code_generator_request(c, request.data, request.len, &parameter));
  assert_true(ms_compiler_link(c));
  e = ms_descriptor_encoder_new(c);
  assert_descriptor(e, c, "v.proto", v_descriptor);
  assert_descriptor(e, c, "u.proto", u_descriptor); /* canonical already: unchanged */
  ms_descriptor_encoder_free(e);
  ms_compiler_free(c);
  ms_writer_free(&request);
  ms_compiler_free(cli);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cli_descriptors_are_protocs),
      cmocka_unit_test(test_idl_files_have_none),
      cmocka_unit_test(test_plugin_descriptors_are_made_canonical),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
