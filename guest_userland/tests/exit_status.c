// exit_status: exits with status 3 (the driver expects 3 from both runs), after checking
// that output written before exit is flushed by the C library.
#include <stdlib.h>

#include "guest_test.h"

int main(void) {
    printf("this line is buffered until exit\n");
    guest_pass("before_exit");
    exit(3);
}
