#define MS_VERSION "0.1.0"
