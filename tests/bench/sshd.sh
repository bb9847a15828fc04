# Sourced by the benchmark's scripts (link.sh, tls.sh): sshd on
# loopback with its own host and user keys and configuration in $work, a
# port found free by trying (sshd takes no port 0), root logging in with
# our key only, sftp served in-process.  Needs work, pids (sshd's PID is
# added, for the caller's cleanup to stop), say and SSHD.  Sets sport,
# ssh_opts (the client's options but the port: key, batch, no host key
# kept) and remote (root@127.0.0.1).
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/user_key"
cp "$work/user_key.pub" "$work/authorized_keys"
mkdir -p /run/sshd
sport=$((20000 + $$ % 20000))
tries=0
while :; do
	cat > "$work/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $sport
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $work/sshd.pid
Subsystem sftp internal-sftp
EOF
	: > "$work/sshd.log"
	"$SSHD" -D -e -f "$work/sshd_config" 2> "$work/sshd.log" &
	sshd_pid=$!
	i=0
	while ! grep -q 'Server listening' "$work/sshd.log" &&
	    kill -0 "$sshd_pid" 2>/dev/null && [ $i -lt 100 ]; do
		i=$((i + 1)); sleep 0.05
	done
	if grep -q 'Server listening' "$work/sshd.log"; then
		pids="$pids $sshd_pid"
		break
	fi
	kill "$sshd_pid" 2>/dev/null
	wait "$sshd_pid" 2>/dev/null
	tries=$((tries + 1))
	[ $tries -lt 20 ] || { say "sshd did not start: $(cat "$work/sshd.log")"; exit 1; }
	sport=$((sport + 1))
done
ssh_opts="-i $work/user_key -o BatchMode=yes -o StrictHostKeyChecking=no \
-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
remote=root@127.0.0.1
