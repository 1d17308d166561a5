// itimer: alarm(2), setitimer(2) and getitimer(2) with ITIMER_REAL: SIGALRM
// once or every interval, the time left as Linux rounds it, disarming, bad
// arguments. Prints outcomes only (no times), so the host is the oracle.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_test.h"

static volatile sig_atomic_t alarms;

static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

// Waits (pause) until `count` SIGALRMs came; false if it took 100 pauses.
static int wait_alarms(int count) {
    for (int i = 0; i < 100 && alarms < count; i++) pause();
    return alarms >= count;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    CHECK_EQ("alarm_none_before", alarm(0), 0u);
    alarm(5);
    CHECK_EQ("alarm_returns_seconds_left", alarm(0), 5u);
    CHECK_EQ("alarm_cancelled", alarm(0), 0u);

    // One shot, 20 ms.
    struct itimerval it, old;
    memset(&it, 0, sizeof it);
    it.it_value.tv_usec = 20000;
    CHECK("setitimer_once", setitimer(ITIMER_REAL, &it, &old) == 0);
    CHECK("setitimer_old_was_disarmed", old.it_value.tv_sec == 0 && old.it_value.tv_usec == 0);
    struct itimerval now;
    CHECK("getitimer", getitimer(ITIMER_REAL, &now) == 0);
    CHECK("getitimer_left_at_most_set", now.it_value.tv_sec == 0 && now.it_value.tv_usec > 0 &&
                                            now.it_value.tv_usec <= 20000);
    CHECK("sigalrm_once", wait_alarms(1) && alarms == 1);
    CHECK("getitimer_after_expiry", getitimer(ITIMER_REAL, &now) == 0 && now.it_value.tv_sec == 0 &&
                                        now.it_value.tv_usec == 0);

    // Periodic, every 5 ms: three in a row, then disarmed by a zero value.
    alarms = 0;
    it.it_value.tv_usec = 5000;
    it.it_interval.tv_usec = 5000;
    CHECK("setitimer_periodic", setitimer(ITIMER_REAL, &it, NULL) == 0);
    CHECK("sigalrm_periodic", wait_alarms(3));
    CHECK("getitimer_interval_kept", getitimer(ITIMER_REAL, &now) == 0 && now.it_interval.tv_usec == 5000);
    memset(&it, 0, sizeof it);
    CHECK("setitimer_disarm", setitimer(ITIMER_REAL, &it, &old) == 0);
    CHECK("setitimer_old_interval", old.it_interval.tv_sec == 0 && old.it_interval.tv_usec == 5000);
    const int seen = alarms;
    usleep(20000);
    CHECK("disarmed_stays_quiet", alarms == seen);

    // alarm() after setitimer: it replaces it; a sub-second remainder counts as 1.
    it.it_value.tv_usec = 300000;
    setitimer(ITIMER_REAL, &it, NULL);
    CHECK_EQ("alarm_rounds_part_second_up", alarm(0), 1u);

    // Bad arguments.
    it.it_value.tv_usec = 1000000;
    CHECK_ERR("setitimer_usec_too_big", setitimer(ITIMER_REAL, &it, NULL), EINVAL);
    it.it_value.tv_usec = -1;
    CHECK_ERR("setitimer_usec_negative", setitimer(ITIMER_REAL, &it, NULL), EINVAL);
    CHECK_ERR("setitimer_unknown_timer", setitimer(7, &it, NULL), EINVAL);
    CHECK_ERR("getitimer_bad_pointer", getitimer(ITIMER_REAL, (struct itimerval*)8), EFAULT);

    // The default action of SIGALRM ends the process: in a child.
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGALRM, SIG_DFL);
        alarm(1);
        for (;;) pause();
    }
    int status = 0;
    CHECK("alarm_kills_by_default", waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
                                        WTERMSIG(status) == SIGALRM);
    return guest_finish("itimer");
}
