/* Built-in files by meaning: the descriptor of a file named like an embedded
 * include against the descriptor of the embedded copy (builtin_match.h).
 *
 * Both sides go through ms_encode_file_descriptor: a file of the command
 * line is encoded from its model, a file of a plugin request from protoc's
 * bytes read and written back canonical, and the embedded copy from its
 * model. Differences in how protoc versions serialize a descriptor therefore
 * do not count; what the file declares does. */
#include "builtin_match.h"

#include <string.h>

#include "descriptor_out.h"

/* the copies' compilation's own target; not a carried file's name */
#define IMPORTER "<the embedded copies>.proto"

bool ms_text_is_the_embedded_copy(const ms_EmbeddedScript *include, const char *text, size_t len) {
  return include && include->len == len && memcmp(include->source, text, len) == 0;
}

/* An in-memory file is what its caller made it (the descriptor encoder's
 * own cut-down descriptor.proto, a test's schema): it is built in only when
 * its text is the embedded copy's. */
static bool was_given_in_memory(const ms_Compiler *c, const ms_File *f) {
  return ms_table_get(&c->memory, f->path) != NULL;
}

/* Named like a carried file, read from disk or from a plugin request, and
 * not already known to be its identical text. */
static bool needs_its_descriptor_compared(const ms_Compiler *c, const ms_File *f) {
  return !f->builtin && ms_builtin_include(f->path) != NULL && !was_given_in_memory(c, f);
}

/* The embedded includes as the compiler's in-memory files, so that the copies
 * and their imports come from the binary whatever lies in the current folder
 * (in-memory files come before the import roots). The texts are the binary's
 * own: nothing is copied. */
static void give_it_every_embedded_include(ms_Compiler *copies) {
  for (const ms_EmbeddedScript *e = ms_embedded_scripts; e->path; e++) {
    const char *vpath = ms_builtin_include_path(e);
    if (vpath) ms_table_put(&copies->memory, vpath, (void *)e->source);
  }
}

/* A file importing the embedded copies of `files`' paths: the one target of
 * their compiler, given as text, so no file on disk is looked at. */
static const char *a_file_importing_the_copies_of(ms_Compiler *copies, const ms_Vec *files) {
  const char *text = "syntax = \"proto3\";\n";
  for (unsigned i = 0; i < files->count; i++)
    text = ms_arena_printf(copies->arena, "%simport \"%s\";\n", text, MS_VEC_AT(*files, ms_File, i)->path);
  return text;
}

/* A compiler of the embedded copies of `files`' paths, linked; NULL if they
 * do not compile (then no file is built in by meaning). Its files take the
 * fast path, so linking it compiles nothing more. */
static ms_Compiler *compile_the_embedded_copies_of(const ms_Vec *files) {
  ms_Compiler *copies = ms_compiler_new();
  give_it_every_embedded_include(copies);
  const char *importer = a_file_importing_the_copies_of(copies, files);
  if (ms_compiler_add_text_target(copies, IMPORTER, IMPORTER, importer, strlen(importer)) && ms_compiler_link(copies))
    return copies;
  ms_compiler_free(copies);
  return NULL;
}

/* Both encoded by moonstub, each by the encoder of its own compilation, byte
 * for byte the same. */
static bool descriptors_are_equal(ms_DescriptorEncoder *e, const ms_File *f, ms_DescriptorEncoder *copy_encoder,
                                  const ms_File *copy) {
  ms_Writer mine = {0}, embedded = {0};
  bool equal = copy && ms_encode_file_descriptor(e, f, &mine) &&
               ms_encode_file_descriptor(copy_encoder, copy, &embedded) && mine.len == embedded.len &&
               memcmp(mine.data, embedded.data, mine.len) == 0;
  ms_writer_free(&mine);
  ms_writer_free(&embedded);
  return equal;
}

void ms_mark_files_that_mean_the_embedded_copy(ms_Compiler *c) {
  ms_Vec to_compare = {0};
  for (unsigned i = 0; i < c->schema.files.count; i++) {
    ms_File *f = c->schema.files.items[i];
    if (needs_its_descriptor_compared(c, f)) ms_vec_push(c->arena, &to_compare, f);
  }
  if (to_compare.count == 0) return;
  ms_Compiler *copies = compile_the_embedded_copies_of(&to_compare);
  if (!copies) return;
  ms_DescriptorEncoder *e = ms_descriptor_encoder_new(c);
  ms_DescriptorEncoder *copy_encoder = ms_descriptor_encoder_new(copies);
  for (unsigned i = 0; i < to_compare.count; i++) {
    ms_File *f = to_compare.items[i];
    f->builtin = descriptors_are_equal(e, f, copy_encoder, ms_table_get(&copies->files, f->path));
  }
  ms_descriptor_encoder_free(copy_encoder);
  ms_descriptor_encoder_free(e);
  ms_compiler_free(copies);
}
