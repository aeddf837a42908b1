// Early-return helpers for absl::Status code in the config database.
// TODO(issue 4): move to common/ once another component wants them.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status of `expr` from the enclosing function when it is not OK.
#define PODSWITCH_CONFIG_RETURN_IF_ERROR(expr)          \
  do {                                                  \
    if (absl::Status status_ = (expr); !status_.ok()) { \
      return status_;                                   \
    }                                                   \
  } while (false)

#define PODSWITCH_CONFIG_CONCAT_INNER(a, b) a##b
#define PODSWITCH_CONFIG_CONCAT(a, b) PODSWITCH_CONFIG_CONCAT_INNER(a, b)

// Assigns the value of a StatusOr expression to `lhs`, or returns its error.
#define PODSWITCH_CONFIG_ASSIGN_OR_RETURN(lhs, expr) \
  PODSWITCH_CONFIG_ASSIGN_OR_RETURN_IMPL(PODSWITCH_CONFIG_CONCAT(statusor_, __LINE__), lhs, expr)

#define PODSWITCH_CONFIG_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                           \
  if (!tmp.ok()) {                                             \
    return tmp.status();                                       \
  }                                                            \
  lhs = std::move(tmp).value()
