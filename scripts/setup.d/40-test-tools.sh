# Tools only the tests use: a headless Chromium renders the HTML report (ReportBrowserTests).
# test.sh sets MLNETSTEM_SETUP_TESTS=1; a user's setup does not install a browser.
if [[ "${MLNETSTEM_SETUP_TESTS:-0}" == 1 ]]; then
  need_deb chromium
fi
