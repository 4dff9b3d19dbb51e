/*
 * iq_tables.h - format constants shared by the IQ and FP4 block codecs.
 *
 * The definitions live in iq_tables.c, which scripts/gen_iq_tables.py
 * generates from the gguf package. Grids are stored as bytes: grid[i][j] is
 * element j of lattice point i, the same bytes llama.cpp reads through its
 * uint64_t/uint32_t tables on a little-endian host.
 */
#ifndef TP_IQ_TABLES_H
#define TP_IQ_TABLES_H

#include <stdint.h>

/* Lattice points of 8 magnitudes each (values 0x08, 0x19, 0x2b). */
extern const uint8_t tp_iq2xxs_grid[256][8];
extern const uint8_t tp_iq2xs_grid[512][8];
extern const uint8_t tp_iq2s_grid[1024][8];
/* Lattice points of 4 magnitudes each. */
extern const uint8_t tp_iq3xxs_grid[256][4];
extern const uint8_t tp_iq3s_grid[512][4];
/* Lattice points of 8 values in {-1, 0, 1} (IQ1_S and IQ1_M). */
extern const int8_t tp_iq1s_grid[2048][8];
/* 7 stored sign bits -> 8 sign bits (bit j set: element j is negative). */
extern const uint8_t tp_ksigns_iq2xs[128];
/* IQ4_NL / IQ4_XS non-linear code values. */
extern const int8_t tp_kvalues_iq4nl[16];
/* E2M1 values doubled (MXFP4 and NVFP4), index = 4-bit code. */
extern const int8_t tp_kvalues_fp4[16];

#endif /* TP_IQ_TABLES_H */
