#!/bin/sh
# Seed corpus for fuzz_safetensors: two small valid safetensors images (one with __metadata__).
d="$1"
printf '\070\000\000\000\000\000\000\000{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}   \000\000\200\077\000\000\000\100' > "$d/one.safetensors"
printf '\130\000\000\000\000\000\000\000{"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[1,2],"data_offsets":[0,4]}}  \200\077\000\100' > "$d/meta.safetensors"
