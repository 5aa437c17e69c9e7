# SPDX-License-Identifier: GPL-2.0
#
# TAP for the host-side selftests scripts (sourced): t RESULT DESCRIPTION
# prints "ok N - ..." or "not ok N - ..." and counts the failures in
# $fails; the script prints its plan and ends with [ "$fails" -eq 0 ].
n=0
fails=0

t() { # result description
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fails=$((fails + 1))
	fi
}
