#ifndef MS_MODEL_JSON_H
#define MS_MODEL_JSON_H

#include <stdio.h>

#include "model.h"

void ms_dump_model_json(const ms_Schema *schema, FILE *fp);

#endif
