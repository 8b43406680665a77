// The frontend: serves the browser app (assets/) and tells it where the gateway is (port 8080).
#include "frontend/setup.hpp"

int main()
{
    return parley::run_service({.name = "frontend", .default_port = 8080},
                               parley::frontend_app::setup);
}
