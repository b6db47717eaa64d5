/* protoc plugin mode: CodeGeneratorRequest on stdin, CodeGeneratorResponse on
 * stdout, the same rules and emitters as the command line. */
#ifndef MS_PLUGIN_H
#define MS_PLUGIN_H

#include <stdio.h>

/* Runs one plugin request; the exit status for the process. */
int ms_plugin_main(FILE *in, FILE *out);

#endif
