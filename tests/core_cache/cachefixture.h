// The fixture lives in tests/support/cachefixture.h now. This file only
// forwards to it for tests/ui/tst_changelogpanel.cpp, which still includes
// "../core_cache/cachefixture.h"; delete it once that include is changed.
#pragma once

#include "../support/cachefixture.h"
