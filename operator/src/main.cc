// tfws-operator: flags, wiring, signals. (Grown by the controller work.)
#include "observe/log.h"

int main() {
  tfws::observe::Logger("main").Info("tfws-operator starting", {{"version", TFWS_VERSION}});
  return 0;
}
