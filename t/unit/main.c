
/*
 * The unit tests of the API core: runs every group, exits non-zero if a
 * test failed.
 */

#include "unit.h"


int
main(void)
{
    int  failed;

    /* before anything allocates through jansson */
    t_alloc_install();

    failed = 0;

    failed += t_run_request_tests();
    failed += t_run_configure_tests();
    failed += t_run_state_tests();
    failed += t_run_store_tests();
    failed += t_run_announce_tests();
    failed += t_run_discovery_tests();
    failed += t_run_regress_tests();
    failed += t_run_status_tests();
    failed += t_run_session_tests();
    failed += t_run_packed_tests();
    failed += t_run_events_tests();
    failed += t_run_onvif_tests();
    failed += t_run_pull_tests();
    failed += t_run_inbound_tests();

    return failed ? 1 : 0;
}
