# Run as: cmake -DOUT=file.c -DNAME=symbol -DINPUTS="a;b" -P embed.cmake
# Writes a C file with `const char NAME_N[]` for each input and a table
# `const struct fv_embedded NAME[]` of {name, text}, terminated by {0, 0}.
set(body "/* Generated from the files named below; do not edit. */\n#include <stddef.h>\nstruct fv_embedded { const char *name; const char *text; };\n")
set(table "const struct fv_embedded ${NAME}[] = {\n")
set(i 0)
foreach(f ${INPUTS})
  file(READ ${f} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  get_filename_component(base ${f} NAME)
  string(APPEND body "/* ${base} */\nstatic const char ${NAME}_${i}[] = {${hex}0x00};\n")
  string(APPEND table "  {\"${base}\", ${NAME}_${i}},\n")
  math(EXPR i "${i}+1")
endforeach()
string(APPEND table "  {NULL, NULL}\n};\n")
file(WRITE ${OUT} "${body}${table}")
