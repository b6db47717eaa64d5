#!/bin/sh
# A protoc plugin that saves the CodeGeneratorRequest it is given to the file
# named by $MOONSTUB_DUMP_REQUEST. Its response says what moonstub's own does,
# so protoc hands it proto3 optional fields and editions files:
# supported_features (2) = PROTO3_OPTIONAL | SUPPORTS_EDITIONS = 3,
# minimum_edition (3) = EDITION_PROTO2 = 998, maximum_edition (4) = EDITION_2024 = 1001.
# Used by make_seeds.sh.
cat >"$MOONSTUB_DUMP_REQUEST" || exit 1
printf '\020\003\030\346\007\040\351\007'
