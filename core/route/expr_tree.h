/*
 * expr_tree.h: what a compiled condition is made of, shared by the parser
 * (expr.c, which builds the tree) and the evaluator (expr_eval.c, which
 * turns the tree into a flat program of tests and runs it). Internal to
 * core/route.
 *
 * Threading: built at load on one thread, then read-only, except the slot
 * hints in the program (relaxed atomics) and the failure counter.
 */
#ifndef LR_ROUTE_EXPR_TREE_H
#define LR_ROUTE_EXPR_TREE_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <logrelay/logrelay.h>
#include <pcre2.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "route/expr_value.h"
#include "route/litset.h"
#include "route/path.h"

typedef enum node_kind {
    N_OR,
    N_AND,
    N_NOT,
    N_CONST,
    N_EXISTS,
    N_CMP,
    N_IN,
} node_kind;

typedef enum cmp_op {
    OP_EQ = LR_CMP_EQ,
    OP_NE = LR_CMP_NE,
    OP_LT = LR_CMP_LT,
    OP_LE = LR_CMP_LE,
    OP_GT = LR_CMP_GT,
    OP_GE = LR_CMP_GE,
    OP_MATCH,
    OP_NMATCH,
} cmp_op;

/* One side of a comparison: a field path or a literal. */
typedef struct operand {
    bool is_field;
    lr_path path;
    lr_value lit; /* literal strings are malloc'd, owned by the tree */
} operand;

typedef struct node node;
struct node {
    node_kind kind;
    cmp_op op;
    bool value;  /* N_CONST */
    node **kids; /* N_OR, N_AND (n-ary), N_NOT (one) */
    size_t nkids;
    operand l, r;   /* N_CMP; N_IN and N_EXISTS use l */
    lr_value *list; /* N_IN: literals */
    size_t nlist;
    pcre2_code *re;  /* N_CMP with OP_MATCH / OP_NMATCH */
    bool jit;        /* re was JIT-compiled: the fast entry point applies */
    lr_litset *lits; /* the pattern is a set of plain strings: matched without PCRE2 when it can */
};

typedef struct test test; /* one step of the program (expr_eval.c) */

struct lr_expr {
    node *root;
    char *text;
    pcre2_match_context *mctx; /* limits; NULL when the expression has no regex */
    atomic_uint_fast64_t regex_failures;
    test *prog; /* the tree as tests and jumps, built by lr_expr_program_build */
    size_t nprog;
};

/* Build e->prog from e->root (after a successful parse); freed by lr_expr_free. */
void lr_expr_program_build(lr_expr *e);
void lr_expr_program_free(lr_expr *e);

#endif
