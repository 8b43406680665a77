// The frontend: serves the browser app (assets/) and tells it where the gateway is.
#include "setup.hpp"

#include "parley/service/service.hpp"

int main()
{
    return parley::run_service({.name = "frontend", .default_port = 8080}, parley::frontend::setup);
}
