// rejectInvalid: how every call ends whose input failed validation. One
// trace note, ServiceStatus::Invalid with the field errors; neither Redis
// nor SQLite is touched.
#pragma once

#include "operation.h"
#include "productvalidator.h"

void rejectInvalid(const OperationPtr &op, const QList<FieldError> &errors);
