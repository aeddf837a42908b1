// Early-return helpers for code built on absl::Status / absl::StatusOr.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status of `expr` from the enclosing function when it is not OK.
#define PODSWITCH_RETURN_IF_ERROR(expr)                 \
  do {                                                  \
    if (absl::Status status_ = (expr); !status_.ok()) { \
      return status_;                                   \
    }                                                   \
  } while (false)

#define PODSWITCH_CONCAT_INNER(a, b) a##b
#define PODSWITCH_CONCAT(a, b) PODSWITCH_CONCAT_INNER(a, b)

// Assigns the value of a StatusOr expression to `lhs`, or returns its error.
#define PODSWITCH_ASSIGN_OR_RETURN(lhs, expr) \
  PODSWITCH_ASSIGN_OR_RETURN_IMPL(PODSWITCH_CONCAT(statusor_, __LINE__), lhs, expr)

#define PODSWITCH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) {                                      \
    return tmp.status();                                \
  }                                                     \
  lhs = std::move(tmp).value()
