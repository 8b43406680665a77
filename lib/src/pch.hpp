// Precompiled for lib/src only: the heavy Asio/Beast/JSON headers most sources use.
#pragma once
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
