# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mailctl_global_optspecs
    string join \n config= json q/quiet h/help V/version
end

function __fish_mailctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mailctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mailctl_using_subcommand
    set -l cmd (__fish_mailctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mailctl -n "__fish_mailctl_needs_command" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_needs_command" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_needs_command" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_needs_command" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_needs_command" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "init" -d 'Write mailctl.toml and create the data directory, the database and the first domain'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "config" -d 'Read and edit the configuration, like postconf'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "domain" -d 'Mail domains served here'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "account" -d 'Mail accounts, their tiers and passwords'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "alias" -d 'Aliases and catch-alls'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "dkim" -d 'DKIM signing keys: generate, rotate, publish, retire'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "cert" -d 'The mail host\'s certificate: self-signed, ACME (Let\'s Encrypt), renewal, status'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "dns" -d 'DNS records for mail domains: print, publish to Cloudflare/Route53/RFC 2136, check live'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "transport" -d 'Routes for outbound mail (like Postfix transport maps)'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "queue" -d 'The outbound queue: list, show, flush, hold, release, delete'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "mailbox" -d 'Mail folders and their index'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "quota" -d 'Mailbox quotas and usage'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "filter" -d 'Inbound filtering: try the whole pipeline on a message'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "report" -d 'DMARC and TLS reports received for the domains: who sends as them, and how TLS fares'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "backup" -d 'Backups of the whole instance: create (online, incremental), list, verify, restore, prune'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "store" -d 'The store itself: migrate it to another database'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "client-config" -d 'The settings a mail client needs for an account (text, JSON, autoconfig, profile)'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "token" -d 'Tokens for the HTTP admin API: create (shown once), list, revoke'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "audit" -d 'The audit log of writes made through the HTTP admin API'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "doctor" -d 'Check the deployment on the live system: DNS, certificates, listeners, firewall, blocklists, open relay, schedules, backups, queue and disk; the fix for each failure'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "firewall" -d 'The firewall rules for the listeners the config enables (ufw, nftables, iptables)'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "serve" -d 'Run the mail server (SMTP inbound and submission) on this instance'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "generate-docs" -d 'Regenerate completions/ and man/ from the command definitions'
complete -c mailctl -n "__fish_mailctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand init" -l domain -d 'The first mail domain (IDNs are stored as A-labels)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand init" -l hostname -d 'The mail host\'s name [default: mail.<domain>]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand init" -l data-dir -d 'Where mail, keys and the SQLite database live [default: ./mailctl-data]' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand init" -l database -d 'Database URL: sqlite:///path or postgres://user@host/db [default: SQLite in the data dir]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand init" -l ipv4 -d 'The mail host\'s public IPv4 address (A record, SPF, PTR)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand init" -l ipv6 -d 'The mail host\'s public IPv6 address (AAAA record, SPF, PTR)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand init" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand init" -l force -d 'Rewrite an existing config and adopt an existing database (nothing is deleted)'
complete -c mailctl -n "__fish_mailctl_using_subcommand init" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand init" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand init" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand init" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and not __fish_seen_subcommand_from show get set help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and not __fish_seen_subcommand_from show get set help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and not __fish_seen_subcommand_from show get set help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and not __fish_seen_subcommand_from show get set help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and not __fish_seen_subcommand_from show get set help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and not __fish_seen_subcommand_from show get set help" -f -a "show" -d 'Every key with its effective value (like `postconf`)'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and not __fish_seen_subcommand_from show get set help" -f -a "get" -d 'Print one key\'s effective value'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and not __fish_seen_subcommand_from show get set help" -f -a "set" -d 'Set a key in the config file, keeping its comments'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and not __fish_seen_subcommand_from show get set help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from show" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from show" -s n -l non-default -d 'Only keys set in the file (like `postconf -n`)'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from show" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from get" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from get" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from get" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from set" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from set" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Every key with its effective value (like `postconf`)'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "get" -d 'Print one key\'s effective value'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set a key in the config file, keeping its comments'
complete -c mailctl -n "__fish_mailctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and not __fish_seen_subcommand_from add list show remove help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and not __fish_seen_subcommand_from add list show remove help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and not __fish_seen_subcommand_from add list show remove help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and not __fish_seen_subcommand_from add list show remove help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and not __fish_seen_subcommand_from add list show remove help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and not __fish_seen_subcommand_from add list show remove help" -f -a "add" -d 'Add a mail domain'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and not __fish_seen_subcommand_from add list show remove help" -f -a "list" -d 'List the domains'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and not __fish_seen_subcommand_from add list show remove help" -f -a "show" -d 'Show one domain'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and not __fish_seen_subcommand_from add list show remove help" -f -a "remove" -d 'Remove a domain (refused while it has accounts or aliases, unless --force)'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and not __fish_seen_subcommand_from add list show remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from add" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from add" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from list" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from show" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from show" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from remove" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from remove" -l force -d 'Also remove its accounts and aliases'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from remove" -l keep-mail -d 'With --force: keep the accounts\' Maildirs on disk'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from remove" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a mail domain'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the domains'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one domain'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a domain (refused while it has accounts or aliases, unless --force)'
complete -c mailctl -n "__fish_mailctl_using_subcommand domain; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -f -a "create" -d 'Create an account with a mailbox (a random password is printed once unless one is given)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -f -a "list" -d 'List accounts'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -f -a "show" -d 'Show one account'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -f -a "passwd" -d 'Set a new password'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -f -a "set-tier" -d 'Change the tier (the quota follows unless set by hand)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -f -a "suspend" -d 'Stop the account from logging in (it still receives mail)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -f -a "resume" -d 'Let a suspended account log in again'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -f -a "delete" -d 'Delete an account and its mail'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -f -a "import" -d 'Import users from a Dovecot passwd-file, keeping their password hashes'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and not __fish_seen_subcommand_from create list show passwd set-tier suspend resume delete import help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from create" -l tier -d 'vip (1 GiB), paid (5 GiB) or business (50 GiB, aliases); guest and free have no mailbox' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from create" -l owner -d 'The external user id of the account\'s owner' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from create" -l quota -d 'Override the tier\'s quota: 500M, 5GiB, unlimited' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from create" -l password-file -d 'Read the password from the first line of FILE' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from create" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from create" -l password-stdin -d 'Read the password from the first line of stdin'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from create" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from list" -l domain -r
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from list" -l tier -r
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from list" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from show" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from show" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from passwd" -l password-file -d 'Read the password from the first line of FILE' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from passwd" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from passwd" -l password-stdin -d 'Read the password from the first line of stdin'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from passwd" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from passwd" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from passwd" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from passwd" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from set-tier" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from set-tier" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from set-tier" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from set-tier" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from set-tier" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from suspend" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from suspend" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from suspend" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from suspend" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from suspend" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from resume" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from resume" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from resume" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from resume" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from resume" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from delete" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from delete" -l keep-mail -d 'Keep the Maildir on disk'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from delete" -l force -d 'Also remove alias destinations that point at it'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from delete" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from delete" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from import" -l dovecot-passwd -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from import" -l tier -r
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from import" -l domain -d 'Domain for user names without one' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from import" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from import" -l dry-run -d 'Report what would happen; change nothing'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from import" -l skip-refused -d 'Import the acceptable lines even if some are refused (default: all or nothing)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from import" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from import" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from import" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create an account with a mailbox (a random password is printed once unless one is given)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "list" -d 'List accounts'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one account'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "passwd" -d 'Set a new password'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "set-tier" -d 'Change the tier (the quota follows unless set by hand)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "suspend" -d 'Stop the account from logging in (it still receives mail)'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "resume" -d 'Let a suspended account log in again'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete an account and its mail'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "import" -d 'Import users from a Dovecot passwd-file, keeping their password hashes'
complete -c mailctl -n "__fish_mailctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and not __fish_seen_subcommand_from add list remove help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and not __fish_seen_subcommand_from add list remove help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and not __fish_seen_subcommand_from add list remove help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and not __fish_seen_subcommand_from add list remove help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and not __fish_seen_subcommand_from add list remove help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and not __fish_seen_subcommand_from add list remove help" -f -a "add" -d 'Add destinations to an alias (`@domain` is the catch-all)'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and not __fish_seen_subcommand_from add list remove help" -f -a "list" -d 'List aliases'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and not __fish_seen_subcommand_from add list remove help" -f -a "remove" -d 'Remove an alias, or only the given destinations'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and not __fish_seen_subcommand_from add list remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from add" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from add" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from list" -l domain -r
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from list" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from remove" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from remove" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add destinations to an alias (`@domain` is the catch-all)'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from help" -f -a "list" -d 'List aliases'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove an alias, or only the given destinations'
complete -c mailctl -n "__fish_mailctl_using_subcommand alias; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and not __fish_seen_subcommand_from generate list show rotate activate retire sign help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and not __fish_seen_subcommand_from generate list show rotate activate retire sign help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and not __fish_seen_subcommand_from generate list show rotate activate retire sign help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and not __fish_seen_subcommand_from generate list show rotate activate retire sign help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and not __fish_seen_subcommand_from generate list show rotate activate retire sign help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and not __fish_seen_subcommand_from generate list show rotate activate retire sign help" -f -a "generate" -d 'Create a DKIM key for a domain (active if it is the domain\'s first of its kind)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and not __fish_seen_subcommand_from generate list show rotate activate retire sign help" -f -a "list" -d 'List DKIM keys and their status'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and not __fish_seen_subcommand_from generate list show rotate activate retire sign help" -f -a "show" -d 'The TXT records to publish for a domain\'s keys'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and not __fish_seen_subcommand_from generate list show rotate activate retire sign help" -f -a "rotate" -d 'Create the next key as pending; publish its record, then `dkim activate`'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and not __fish_seen_subcommand_from generate list show rotate activate retire sign help" -f -a "activate" -d 'Sign with this key from now on (the previous key stays published)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and not __fish_seen_subcommand_from generate list show rotate activate retire sign help" -f -a "retire" -d 'Stop signing with and publishing a key, and delete its private key'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and not __fish_seen_subcommand_from generate list show rotate activate retire sign help" -f -a "sign" -d 'Sign a message (stdin or FILE) with the domain\'s active keys and print it (to test keys)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and not __fish_seen_subcommand_from generate list show rotate activate retire sign help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from generate" -l domain -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from generate" -l selector -d 'DNS label(s) for the key; default: the date and r (rsa) or e (ed25519)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from generate" -l algorithm -r -f -a "rsa-2048\t''
rsa-4096\t''
ed25519\t''"
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from generate" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from generate" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from generate" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from generate" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from generate" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from list" -l domain -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from list" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from show" -l domain -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from show" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from show" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -l domain -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -l selector -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -l algorithm -r -f -a "rsa-2048\t''
rsa-4096\t''
ed25519\t''"
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -l provider -d 'cloudflare, route53 or rfc2136 [default: the config\'s dns_provider]' -r -f -a "cloudflare\t''
route53\t''
rfc2136\t''"
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -l endpoint -d 'The provider API\'s base URL (Cloudflare, Route53; for compatible services and tests)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -l zone-id -d 'The provider\'s zone id [default: looked up by the domain\'s name]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -l server -d 'RFC 2136: the primary server to update' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -l tsig-key -d 'RFC 2136: a BIND key file (tsig-keygen), hmac-sha256' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -l ca-file -d 'Also trust this CA certificate (PEM) for the provider\'s HTTPS endpoint' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -l wait-timeout -d 'Give up waiting after this many seconds (exit 75)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -l resolver -d 'Ask this server instead of the zone\'s authoritative servers' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -l publish -d 'Publish the new selector through the DNS provider, wait until every authoritative server answers it, then sign with it (the old key stays published for dkim_grace_days)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from activate" -l domain -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from activate" -l selector -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from activate" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from activate" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from activate" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from activate" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from activate" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from retire" -l domain -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from retire" -l selector -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from retire" -l provider -d 'cloudflare, route53 or rfc2136 [default: the config\'s dns_provider]' -r -f -a "cloudflare\t''
route53\t''
rfc2136\t''"
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from retire" -l endpoint -d 'The provider API\'s base URL (Cloudflare, Route53; for compatible services and tests)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from retire" -l zone-id -d 'The provider\'s zone id [default: looked up by the domain\'s name]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from retire" -l server -d 'RFC 2136: the primary server to update' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from retire" -l tsig-key -d 'RFC 2136: a BIND key file (tsig-keygen), hmac-sha256' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from retire" -l ca-file -d 'Also trust this CA certificate (PEM) for the provider\'s HTTPS endpoint' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from retire" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from retire" -l publish -d 'Also delete its record through the DNS provider'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from retire" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from retire" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from retire" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from retire" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from sign" -l domain -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from sign" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from sign" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from sign" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from sign" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from sign" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from help" -f -a "generate" -d 'Create a DKIM key for a domain (active if it is the domain\'s first of its kind)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from help" -f -a "list" -d 'List DKIM keys and their status'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from help" -f -a "show" -d 'The TXT records to publish for a domain\'s keys'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Create the next key as pending; publish its record, then `dkim activate`'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from help" -f -a "activate" -d 'Sign with this key from now on (the previous key stays published)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from help" -f -a "retire" -d 'Stop signing with and publishing a key, and delete its private key'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from help" -f -a "sign" -d 'Sign a message (stdin or FILE) with the domain\'s active keys and print it (to test keys)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dkim; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed issue renew status help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed issue renew status help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed issue renew status help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed issue renew status help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed issue renew status help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed issue renew status help" -f -a "self-signed" -d 'Make a self-signed certificate (what `serve` uses on first start)'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed issue renew status help" -f -a "issue" -d 'Get a certificate from an ACME CA (Let\'s Encrypt by default)'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed issue renew status help" -f -a "renew" -d 'Renew the certificate if it is due (for cron: nothing due means no network and exit 0)'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed issue renew status help" -f -a "status" -d 'The certificate: names, issuer, expiry, source, next renewal'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and not __fish_seen_subcommand_from self-signed issue renew status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -l host -d 'A name to cover (repeat) [default: hostname, webmail_host, and mta-sts.D and autoconfig.D for each domain D]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from self-signed" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l host -d 'A name to cover (repeat) [default: hostname, webmail_host, and mta-sts.D and autoconfig.D for each domain D that resolves]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l challenge -r -f -a "http-01\t''
tls-alpn-01\t''
dns-01\t''"
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l directory -d 'An RFC 8555 directory URL [default: Let\'s Encrypt]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l email -d 'Contact address for the ACME account' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l ca-root -d 'Trust this CA certificate (PEM) for the ACME server\'s own TLS (private CAs)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l http-listen -d 'Answer HTTP-01 on a listener of our own here [default: the running serve, else http_listen]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l tls-listen -d 'Answer TLS-ALPN-01 on a listener of our own here [default: the running serve, else https_listen]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l deploy-hook -d 'Run this (sh -c) after the certificate is installed; MAILCTL_CERT and MAILCTL_KEY name the files' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l provider -d 'cloudflare, route53 or rfc2136 [default: the config\'s dns_provider]' -r -f -a "cloudflare\t''
route53\t''
rfc2136\t''"
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l endpoint -d 'The provider API\'s base URL (Cloudflare, Route53; for compatible services and tests)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l zone-id -d 'The provider\'s zone id [default: looked up by the domain\'s name]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l server -d 'RFC 2136: the primary server to update' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l tsig-key -d 'RFC 2136: a BIND key file (tsig-keygen), hmac-sha256' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l ca-file -d 'Also trust this CA certificate (PEM) for the provider\'s HTTPS endpoint' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l wait-timeout -d 'Give up waiting after this many seconds (exit 75)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l resolver -d 'Ask this server instead of the zone\'s authoritative servers' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l staging -d 'Let\'s Encrypt\'s staging CA'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from issue" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from renew" -l days -d 'Renew when it expires within this many days (or when the CA\'s window says so)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from renew" -l deploy-hook -d 'Run this (sh -c) after a successful renewal; MAILCTL_CERT and MAILCTL_KEY name the files' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from renew" -l http-listen -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from renew" -l tls-listen -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from renew" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from renew" -l force -d 'Renew now'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from renew" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from renew" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from renew" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from renew" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from status" -l check -d 'Exit 75 when it expires within DAYS (for monitoring)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from status" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from status" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "self-signed" -d 'Make a self-signed certificate (what `serve` uses on first start)'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "issue" -d 'Get a certificate from an ACME CA (Let\'s Encrypt by default)'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "renew" -d 'Renew the certificate if it is due (for cron: nothing due means no network and exit 0)'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "status" -d 'The certificate: names, issuer, expiry, source, next renewal'
complete -c mailctl -n "__fish_mailctl_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and not __fish_seen_subcommand_from records publish check help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and not __fish_seen_subcommand_from records publish check help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and not __fish_seen_subcommand_from records publish check help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and not __fish_seen_subcommand_from records publish check help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and not __fish_seen_subcommand_from records publish check help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and not __fish_seen_subcommand_from records publish check help" -f -a "records" -d 'Print the records each mail domain needs (MX, A/AAAA, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, SRV, CAA; PTR as an instruction)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and not __fish_seen_subcommand_from records publish check help" -f -a "publish" -d 'Publish the records through a DNS provider: show the plan, then apply it (only mailctl\'s records are touched)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and not __fish_seen_subcommand_from records publish check help" -f -a "check" -d 'Look every record up live and say, per record, whether it is right (exit 0 only when every required record is)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and not __fish_seen_subcommand_from records publish check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from records" -l domain -d 'Only this domain [default: every domain]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from records" -l format -r -f -a "zone\t'Lines for a BIND zone file'
table\t'A table for people'
json\t'JSON for scripts (as --json)'"
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from records" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from records" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from records" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from records" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from records" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -l domain -d 'Only this domain [default: every domain]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -l provider -d 'cloudflare, route53 or rfc2136 [default: the config\'s dns_provider]' -r -f -a "cloudflare\t''
route53\t''
rfc2136\t''"
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -l endpoint -d 'The provider API\'s base URL (Cloudflare, Route53; for compatible services and tests)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -l zone-id -d 'The provider\'s zone id [default: looked up by the domain\'s name]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -l server -d 'RFC 2136: the primary server to update' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -l tsig-key -d 'RFC 2136: a BIND key file (tsig-keygen), hmac-sha256' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -l ca-file -d 'Also trust this CA certificate (PEM) for the provider\'s HTTPS endpoint' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -l wait-timeout -d 'Give up waiting after this many seconds (exit 75)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -l resolver -d 'Ask this server instead of the zone\'s authoritative servers' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -l dry-run -d 'Show the plan and change nothing'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -s y -l yes -d 'Apply without asking (needed when stdin is not a terminal)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -l replace-spf -d 'Replace an SPF record that mailctl did not publish'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -l wait -d 'After applying, wait until every authoritative server answers every record'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from publish" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from check" -l domain -d 'Only this domain [default: every domain]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from check" -l resolver -d 'Ask this server [default: the zone\'s authoritative servers]' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from check" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from check" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from help" -f -a "records" -d 'Print the records each mail domain needs (MX, A/AAAA, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, SRV, CAA; PTR as an instruction)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from help" -f -a "publish" -d 'Publish the records through a DNS provider: show the plan, then apply it (only mailctl\'s records are touched)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from help" -f -a "check" -d 'Look every record up live and say, per record, whether it is right (exit 0 only when every required record is)'
complete -c mailctl -n "__fish_mailctl_using_subcommand dns; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and not __fish_seen_subcommand_from add list remove check help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and not __fish_seen_subcommand_from add list remove check help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and not __fish_seen_subcommand_from add list remove check help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and not __fish_seen_subcommand_from add list remove check help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and not __fish_seen_subcommand_from add list remove check help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and not __fish_seen_subcommand_from add list remove check help" -f -a "add" -d 'Route a domain\'s outbound mail (`.example.net`: its subdomains) to a next hop: `[host]:port` connects to the host, `host:port` uses the host\'s MX'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and not __fish_seen_subcommand_from add list remove check help" -f -a "list" -d 'List routes'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and not __fish_seen_subcommand_from add list remove check help" -f -a "remove" -d 'Remove a route (mail for the domain goes to its MX again)'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and not __fish_seen_subcommand_from add list remove check help" -f -a "check" -d 'What TLS mail to a domain would get, asked now: its route, MTA-STS record and policy (fetched fresh; why a fetch is refused), MX hosts, and DANE when dnssec_trust is set'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and not __fish_seen_subcommand_from add list remove check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from add" -l tls -d 'TLS this route requires: none, may (when offered), encrypt (required, any certificate), verify (required, the certificate must verify for the host name) or dane (the hosts\' DNSSEC-validated TLSA records, else may). Without it, DANE and the domain\'s MTA-STS policy decide, else may' -r -f -a "none\t''
may\t''
encrypt\t''
verify\t''
dane\t''"
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from add" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from add" -l replace -d 'Change an existing route'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from add" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from list" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from remove" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from remove" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from check" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from check" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from help" -f -a "add" -d 'Route a domain\'s outbound mail (`.example.net`: its subdomains) to a next hop: `[host]:port` connects to the host, `host:port` uses the host\'s MX'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from help" -f -a "list" -d 'List routes'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a route (mail for the domain goes to its MX again)'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from help" -f -a "check" -d 'What TLS mail to a domain would get, asked now: its route, MTA-STS record and policy (fetched fresh; why a fetch is refused), MX hosts, and DANE when dnssec_trust is set'
complete -c mailctl -n "__fish_mailctl_using_subcommand transport; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete bounce help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete bounce help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete bounce help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete bounce help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete bounce help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete bounce help" -f -a "list" -d 'List queued messages'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete bounce help" -f -a "show" -d 'Show one message: envelope, headers, per-recipient status, history'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete bounce help" -f -a "flush" -d 'Try these messages (default: all) now'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete bounce help" -f -a "hold" -d 'Keep messages from being delivered until released'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete bounce help" -f -a "release" -d 'Release held messages (they are tried at once)'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete bounce help" -f -a "delete" -d 'Delete messages from the queue without delivering them'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete bounce help" -f -a "bounce" -d 'Fail messages now: the sender gets a DSN for every recipient not yet delivered'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete bounce help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from list" -l from -d 'Only messages whose sender matches (`*` wildcards, else a substring)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from list" -l to -d 'Only messages with a recipient that matches' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from list" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from list" -l held -d 'Only held messages'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from list" -l deferred -d 'Only messages that have been tried and deferred'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from show" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from show" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from flush" -l from -d 'Messages whose sender matches (`*` wildcards, else a substring)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from flush" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from flush" -l all -d 'Every queued message'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from flush" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from flush" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from flush" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from flush" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from hold" -l from -d 'Messages whose sender matches (`*` wildcards, else a substring)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from hold" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from hold" -l all -d 'Every queued message'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from hold" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from hold" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from hold" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from hold" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from release" -l from -d 'Messages whose sender matches (`*` wildcards, else a substring)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from release" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from release" -l all -d 'Every queued message'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from release" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from release" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from release" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from release" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from delete" -l from -d 'Messages whose sender matches (`*` wildcards, else a substring)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from delete" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from delete" -l all -d 'Every queued message'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from delete" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from delete" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from bounce" -l from -d 'Messages whose sender matches (`*` wildcards, else a substring)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from bounce" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from bounce" -l all -d 'Every queued message'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from bounce" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from bounce" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from bounce" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from bounce" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "list" -d 'List queued messages'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one message: envelope, headers, per-recipient status, history'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "flush" -d 'Try these messages (default: all) now'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "hold" -d 'Keep messages from being delivered until released'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "release" -d 'Release held messages (they are tried at once)'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete messages from the queue without delivering them'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "bounce" -d 'Fail messages now: the sender gets a DSN for every recipient not yet delivered'
complete -c mailctl -n "__fish_mailctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and not __fish_seen_subcommand_from reindex verify help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and not __fish_seen_subcommand_from reindex verify help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and not __fish_seen_subcommand_from reindex verify help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and not __fish_seen_subcommand_from reindex verify help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and not __fish_seen_subcommand_from reindex verify help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and not __fish_seen_subcommand_from reindex verify help" -f -a "reindex" -d 'Rebuild an account\'s mail index from its Maildir (imports a Dovecot Maildir, flags kept); with --fts, the full-text index instead (of the account, or of every account with --all): here when no server runs, else the running server does it'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and not __fish_seen_subcommand_from reindex verify help" -f -a "verify" -d 'Check the index against the Maildir: every row has its file with its size, no file lacks a row, UIDNEXT above every UID, usage the sum of the messages; exit 65 when something is wrong'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and not __fish_seen_subcommand_from reindex verify help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from reindex" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from reindex" -l all -d 'Every account (with --fts)'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from reindex" -l fts -d 'The full-text index (search), not the mail index'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from reindex" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from reindex" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from reindex" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from reindex" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from verify" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from verify" -l all -d 'Every account'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from verify" -l fix -d 'Repair what can be repaired (rows of lost files removed, stray files indexed, usage recomputed, UIDNEXT raised) and report the rest'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from verify" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from help" -f -a "reindex" -d 'Rebuild an account\'s mail index from its Maildir (imports a Dovecot Maildir, flags kept); with --fts, the full-text index instead (of the account, or of every account with --all): here when no server runs, else the running server does it'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check the index against the Maildir: every row has its file with its size, no file lacks a row, UIDNEXT above every UID, usage the sum of the messages; exit 65 when something is wrong'
complete -c mailctl -n "__fish_mailctl_using_subcommand mailbox; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and not __fish_seen_subcommand_from show set recalc help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and not __fish_seen_subcommand_from show set recalc help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and not __fish_seen_subcommand_from show set recalc help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and not __fish_seen_subcommand_from show set recalc help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and not __fish_seen_subcommand_from show set recalc help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and not __fish_seen_subcommand_from show set recalc help" -f -a "show" -d 'Limit, usage, percent and messages (all accounts, or one)'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and not __fish_seen_subcommand_from show set recalc help" -f -a "set" -d 'Set a quota: 500M, 5GiB, unlimited, or default (follow the tier)'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and not __fish_seen_subcommand_from show set recalc help" -f -a "recalc" -d 'Recompute usage from the Maildir'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and not __fish_seen_subcommand_from show set recalc help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from show" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from show" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from set" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from set" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from recalc" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from recalc" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from recalc" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from recalc" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from recalc" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from help" -f -a "show" -d 'Limit, usage, percent and messages (all accounts, or one)'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set a quota: 500M, 5GiB, unlimited, or default (follow the tier)'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from help" -f -a "recalc" -d 'Recompute usage from the Maildir'
complete -c mailctl -n "__fish_mailctl_using_subcommand quota; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and not __fish_seen_subcommand_from allow block list explain remove test help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and not __fish_seen_subcommand_from allow block list explain remove test help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and not __fish_seen_subcommand_from allow block list explain remove test help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and not __fish_seen_subcommand_from allow block list explain remove test help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and not __fish_seen_subcommand_from allow block list explain remove test help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and not __fish_seen_subcommand_from allow block list explain remove test help" -f -a "allow" -d 'Allow a sender (ADDRESS or @DOMAIN): no spam scoring (viruses are still scanned)'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and not __fish_seen_subcommand_from allow block list explain remove test help" -f -a "block" -d 'Block a sender (ADDRESS or @DOMAIN): refused at RCPT with 550 5.7.1'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and not __fish_seen_subcommand_from allow block list explain remove test help" -f -a "list" -d 'List the allow and block rules'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and not __fish_seen_subcommand_from allow block list explain remove test help" -f -a "explain" -d 'Why a message received on port 25 went where it went (or was refused): its verdicts, by queue id (the `id` of its Received: header) or Message-ID'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and not __fish_seen_subcommand_from allow block list explain remove test help" -f -a "remove" -d 'Remove a sender\'s rule'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and not __fish_seen_subcommand_from allow block list explain remove test help" -f -a "test" -d 'Run a message file through the inbound filters (blocklists, SPF/DKIM/DMARC/ARC, spam and virus scanners, the decision) as if a client had sent it on port 25; nothing is delivered'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and not __fish_seen_subcommand_from allow block list explain remove test help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from allow" -l account -d 'Only for mail to this account (default: every account)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from allow" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from allow" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from allow" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from allow" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from allow" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from block" -l account -d 'Only for mail to this account (default: every account)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from block" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from block" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from block" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from block" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from block" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from list" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from explain" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from explain" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from explain" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from explain" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from explain" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from remove" -l account -d 'The rule of this account (default: the rule for every account)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from remove" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from remove" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from test" -l ip -d 'The client\'s address' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from test" -l helo -d 'The client\'s EHLO name' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from test" -l from -d 'The envelope sender (empty: the null sender)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from test" -l to -d 'An envelope recipient (repeat for more)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from test" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from test" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from test" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from test" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from help" -f -a "allow" -d 'Allow a sender (ADDRESS or @DOMAIN): no spam scoring (viruses are still scanned)'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from help" -f -a "block" -d 'Block a sender (ADDRESS or @DOMAIN): refused at RCPT with 550 5.7.1'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the allow and block rules'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from help" -f -a "explain" -d 'Why a message received on port 25 went where it went (or was refused): its verdicts, by queue id (the `id` of its Received: header) or Message-ID'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a sender\'s rule'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from help" -f -a "test" -d 'Run a message file through the inbound filters (blocklists, SPF/DKIM/DMARC/ARC, spam and virus scanners, the decision) as if a client had sent it on port 25; nothing is delivered'
complete -c mailctl -n "__fish_mailctl_using_subcommand filter; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and not __fish_seen_subcommand_from dmarc tls help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and not __fish_seen_subcommand_from dmarc tls help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and not __fish_seen_subcommand_from dmarc tls help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and not __fish_seen_subcommand_from dmarc tls help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and not __fish_seen_subcommand_from dmarc tls help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and not __fish_seen_subcommand_from dmarc tls help" -f -a "dmarc" -d 'DMARC aggregate reports received at the domain\'s rua address: who sent mail as the domain, from which IPs, with which SPF/DKIM/DMARC results and what receivers did with it'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and not __fish_seen_subcommand_from dmarc tls help" -f -a "tls" -d 'SMTP TLS reports (TLS-RPT) received at the domain\'s rua address: sessions that reached our MX with TLS, and why the others failed; with --outbound, our own deliveries\' TLS per day, destination domain and MX host'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and not __fish_seen_subcommand_from dmarc tls help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from dmarc" -l domain -d 'Only this domain (default: every domain with a report mailbox)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from dmarc" -l since -d 'Reports received in this last span: 90m, 12h, 7d, 2w' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from dmarc" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from dmarc" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from dmarc" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from dmarc" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from dmarc" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from tls" -l domain -d 'Only this domain (default: every domain with a report mailbox)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from tls" -l since -d 'Reports received in this last span: 90m, 12h, 7d, 2w' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from tls" -l day -d 'The UTC day to send, YYYY-MM-DD (default: yesterday)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from tls" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from tls" -l outbound -d 'Our outbound TLS results (success, or the RFC 8460 failure type) instead of reports received; --domain then names a destination'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from tls" -l send -d 'With --outbound: send the TLS reports (RFC 8460) of --day now, to each destination\'s _smtp._tls rua (serve sends each past day\'s once by itself)'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from tls" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from tls" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from tls" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from tls" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from help" -f -a "dmarc" -d 'DMARC aggregate reports received at the domain\'s rua address: who sent mail as the domain, from which IPs, with which SPF/DKIM/DMARC results and what receivers did with it'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from help" -f -a "tls" -d 'SMTP TLS reports (TLS-RPT) received at the domain\'s rua address: sessions that reached our MX with TLS, and why the others failed; with --outbound, our own deliveries\' TLS per day, destination domain and MX host'
complete -c mailctl -n "__fish_mailctl_using_subcommand report; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "create" -d 'Take a backup now, while `serve` runs: one snapshot of the store, the message files it names, the outbound spool, DKIM keys, TLS files and the config; only what the repository does not hold yet is written'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "list" -d 'The backups in the repository: complete ones, and those that never finished'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "verify" -d 'Check backups: every object present with its hash, every snapshot chunk readable'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "restore" -d 'Restore a whole instance from a backup into a new data directory and an empty database of either backend (so also a way to move): UIDVALIDITY, UIDs, flags and modseqs come back as they were, so IMAP clients do not resynchronise'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "prune" -d 'Forget backups a retention policy does not keep (as restic and borg do it), then remove the objects no kept backup names; backups that never finished are removed too'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from create" -l to -l repo -d 'The repository (default: the config\'s backup_dir)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from create" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from create" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from list" -l to -l repo -d 'The repository (default: the config\'s backup_dir)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from list" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from verify" -l to -l repo -d 'The repository (default: the config\'s backup_dir)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from verify" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from verify" -l all -d 'Check every complete backup'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from verify" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from restore" -l data-dir -d 'The new instance\'s data directory (must be empty; its config is written there)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from restore" -l database -d 'The new instance\'s database, sqlite:// or postgres:// (must be empty; default: SQLite in the data directory)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from restore" -l account -d 'Bring one account\'s mail back into this (live) instance instead, beside what it holds now: messages still there (same content) are not restored twice; an account deleted since is created again as the backup has it' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from restore" -l into-folder -d 'With --account: put the messages under this folder (its subfolders named as in the backup) instead of back into their own folders' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from restore" -l to -l repo -d 'The repository (default: the config\'s backup_dir)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from restore" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from restore" -l force -d 'Restore into a data directory that is not empty'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from restore" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from restore" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-last -d 'Keep the newest N backups' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-daily -d 'Keep the newest backup of each of the last N days that have one (UTC)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-weekly -d 'Keep the newest backup of each of the last N ISO weeks that have one' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-monthly -d 'Keep the newest backup of each of the last N months that have one' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from prune" -l to -l repo -d 'The repository (default: the config\'s backup_dir)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from prune" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from prune" -l dry-run -d 'Say what would be removed, remove nothing'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from prune" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from prune" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from prune" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "create" -d 'Take a backup now, while `serve` runs: one snapshot of the store, the message files it names, the outbound spool, DKIM keys, TLS files and the config; only what the repository does not hold yet is written'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "list" -d 'The backups in the repository: complete ones, and those that never finished'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check backups: every object present with its hash, every snapshot chunk readable'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Restore a whole instance from a backup into a new data directory and an empty database of either backend (so also a way to move): UIDVALIDITY, UIDs, flags and modseqs come back as they were, so IMAP clients do not resynchronise'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Forget backups a retention policy does not keep (as restic and borg do it), then remove the objects no kept backup names; backups that never finished are removed too'
complete -c mailctl -n "__fish_mailctl_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -f -a "migrate" -d 'Copy the whole store into a new, empty database (PostgreSQL or SQLite), check every table (rows and checksums), then switch the config\'s `database` to it. A running `serve` goes on during the copy, holds writes (4xx) for the final catch-up only, and switches; the old store refuses writes from then on. A failed migration leaves the old store in use'
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -l to -d 'The new database: postgres://… or sqlite://…' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and __fish_seen_subcommand_from help" -f -a "migrate" -d 'Copy the whole store into a new, empty database (PostgreSQL or SQLite), check every table (rows and checksums), then switch the config\'s `database` to it. A running `serve` goes on during the copy, holds writes (4xx) for the final catch-up only, and switches; the old store refuses writes from then on. A failed migration leaves the old store in use'
complete -c mailctl -n "__fish_mailctl_using_subcommand store; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand client-config" -l format -r -f -a "text\t'For people: host, ports, security, user name'
json\t'For scripts'
thunderbird\t'Thunderbird\'s autoconfig XML'
autodiscover\t'Microsoft Autodiscover (POX) response XML'
mobileconfig\t'An Apple configuration profile, signed with the server\'s certificate (DER)'"
complete -c mailctl -n "__fish_mailctl_using_subcommand client-config" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand client-config" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand client-config" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand client-config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailctl -n "__fish_mailctl_using_subcommand client-config" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -f -a "create" -d 'Create a token and print it once (only its hash is kept)'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -f -a "list" -d 'List tokens (never their secrets)'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -f -a "revoke" -d 'Revoke a token: refused at once, kept in the list'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from create" -l name -d 'A name for people and the audit log (letters, digits, \'-\', \'_\', \'.\')' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from create" -l scope -d 'What it may do, comma-separated: accounts:read, accounts:write, aliases:read, aliases:write, domains:read, queue:read, queue:write, dns:read' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from create" -l expires -d 'Lifetime such as 90d or 12h (default: no expiry)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from create" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from create" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from list" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a token and print it once (only its hash is kept)'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "list" -d 'List tokens (never their secrets)'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke a token: refused at once, kept in the list'
complete -c mailctl -n "__fish_mailctl_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and not __fish_seen_subcommand_from list help" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and not __fish_seen_subcommand_from list help" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and not __fish_seen_subcommand_from list help" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and not __fish_seen_subcommand_from list help" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and not __fish_seen_subcommand_from list help" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and not __fish_seen_subcommand_from list help" -f -a "list" -d 'List the latest entries, oldest first'
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and not __fish_seen_subcommand_from list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l since -d 'Only entries newer than this, such as 7d or 12h' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l limit -d 'At most this many entries (the latest)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the latest entries, oldest first'
complete -c mailctl -n "__fish_mailctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand doctor" -l domain -d 'Check only this domain\'s DNS (default: every domain)' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand doctor" -l skip -d 'Leave these checks out (repeat or comma-separate): config, dns, certificates, listening, firewall, outbound25, blocklists, open-relay, roundtrip, filters, operations' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand doctor" -l only -d 'Run only these checks' -r
complete -c mailctl -n "__fish_mailctl_using_subcommand doctor" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand doctor" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand doctor" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand firewall" -l format -d 'The tool to write rules for (default: ufw when installed, else nftables, else iptables)' -r -f -a "ufw\t''
nftables\t''
iptables\t''"
complete -c mailctl -n "__fish_mailctl_using_subcommand firewall" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand firewall" -l apply -d 'Run the rules after showing them (asks first on a terminal)'
complete -c mailctl -n "__fish_mailctl_using_subcommand firewall" -l yes -d 'With --apply: run them without asking (needed without a terminal)'
complete -c mailctl -n "__fish_mailctl_using_subcommand firewall" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand firewall" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand firewall" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand firewall" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand serve" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand serve" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand serve" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand serve" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand serve" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand completions" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand completions" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand completions" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand generate-docs" -l out -d 'The directory that holds completions/ and man/' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand generate-docs" -l config -d 'Config file (default: $MAILCTL_CONFIG, ./mailctl.toml, /etc/mailctl/mailctl.toml, else a dev instance in ./mailctl-data)' -r -F
complete -c mailctl -n "__fish_mailctl_using_subcommand generate-docs" -l json -d 'Machine-readable JSON output (field names are stable; see docs/JSON.md)'
complete -c mailctl -n "__fish_mailctl_using_subcommand generate-docs" -s q -l quiet -d 'Print only errors'
complete -c mailctl -n "__fish_mailctl_using_subcommand generate-docs" -s h -l help -d 'Print help'
complete -c mailctl -n "__fish_mailctl_using_subcommand generate-docs" -s V -l version -d 'Print version'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "init" -d 'Write mailctl.toml and create the data directory, the database and the first domain'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "config" -d 'Read and edit the configuration, like postconf'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "domain" -d 'Mail domains served here'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "account" -d 'Mail accounts, their tiers and passwords'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "alias" -d 'Aliases and catch-alls'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "dkim" -d 'DKIM signing keys: generate, rotate, publish, retire'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "cert" -d 'The mail host\'s certificate: self-signed, ACME (Let\'s Encrypt), renewal, status'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "dns" -d 'DNS records for mail domains: print, publish to Cloudflare/Route53/RFC 2136, check live'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "transport" -d 'Routes for outbound mail (like Postfix transport maps)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "queue" -d 'The outbound queue: list, show, flush, hold, release, delete'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "mailbox" -d 'Mail folders and their index'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "quota" -d 'Mailbox quotas and usage'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "filter" -d 'Inbound filtering: try the whole pipeline on a message'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "report" -d 'DMARC and TLS reports received for the domains: who sends as them, and how TLS fares'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "backup" -d 'Backups of the whole instance: create (online, incremental), list, verify, restore, prune'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "store" -d 'The store itself: migrate it to another database'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "client-config" -d 'The settings a mail client needs for an account (text, JSON, autoconfig, profile)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "token" -d 'Tokens for the HTTP admin API: create (shown once), list, revoke'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "audit" -d 'The audit log of writes made through the HTTP admin API'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "doctor" -d 'Check the deployment on the live system: DNS, certificates, listeners, firewall, blocklists, open relay, schedules, backups, queue and disk; the fix for each failure'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "firewall" -d 'The firewall rules for the listeners the config enables (ufw, nftables, iptables)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "serve" -d 'Run the mail server (SMTP inbound and submission) on this instance'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "completions" -d 'Print a shell completion script'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "generate-docs" -d 'Regenerate completions/ and man/ from the command definitions'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and not __fish_seen_subcommand_from init config domain account alias dkim cert dns transport queue mailbox quota filter report backup store client-config token audit doctor firewall serve completions generate-docs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Every key with its effective value (like `postconf`)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "get" -d 'Print one key\'s effective value'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "set" -d 'Set a key in the config file, keeping its comments'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from domain" -f -a "add" -d 'Add a mail domain'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from domain" -f -a "list" -d 'List the domains'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from domain" -f -a "show" -d 'Show one domain'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from domain" -f -a "remove" -d 'Remove a domain (refused while it has accounts or aliases, unless --force)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "create" -d 'Create an account with a mailbox (a random password is printed once unless one is given)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "list" -d 'List accounts'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "show" -d 'Show one account'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "passwd" -d 'Set a new password'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "set-tier" -d 'Change the tier (the quota follows unless set by hand)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "suspend" -d 'Stop the account from logging in (it still receives mail)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "resume" -d 'Let a suspended account log in again'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "delete" -d 'Delete an account and its mail'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "import" -d 'Import users from a Dovecot passwd-file, keeping their password hashes'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from alias" -f -a "add" -d 'Add destinations to an alias (`@domain` is the catch-all)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from alias" -f -a "list" -d 'List aliases'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from alias" -f -a "remove" -d 'Remove an alias, or only the given destinations'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from dkim" -f -a "generate" -d 'Create a DKIM key for a domain (active if it is the domain\'s first of its kind)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from dkim" -f -a "list" -d 'List DKIM keys and their status'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from dkim" -f -a "show" -d 'The TXT records to publish for a domain\'s keys'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from dkim" -f -a "rotate" -d 'Create the next key as pending; publish its record, then `dkim activate`'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from dkim" -f -a "activate" -d 'Sign with this key from now on (the previous key stays published)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from dkim" -f -a "retire" -d 'Stop signing with and publishing a key, and delete its private key'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from dkim" -f -a "sign" -d 'Sign a message (stdin or FILE) with the domain\'s active keys and print it (to test keys)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "self-signed" -d 'Make a self-signed certificate (what `serve` uses on first start)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "issue" -d 'Get a certificate from an ACME CA (Let\'s Encrypt by default)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "renew" -d 'Renew the certificate if it is due (for cron: nothing due means no network and exit 0)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "status" -d 'The certificate: names, issuer, expiry, source, next renewal'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from dns" -f -a "records" -d 'Print the records each mail domain needs (MX, A/AAAA, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, SRV, CAA; PTR as an instruction)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from dns" -f -a "publish" -d 'Publish the records through a DNS provider: show the plan, then apply it (only mailctl\'s records are touched)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from dns" -f -a "check" -d 'Look every record up live and say, per record, whether it is right (exit 0 only when every required record is)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from transport" -f -a "add" -d 'Route a domain\'s outbound mail (`.example.net`: its subdomains) to a next hop: `[host]:port` connects to the host, `host:port` uses the host\'s MX'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from transport" -f -a "list" -d 'List routes'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from transport" -f -a "remove" -d 'Remove a route (mail for the domain goes to its MX again)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from transport" -f -a "check" -d 'What TLS mail to a domain would get, asked now: its route, MTA-STS record and policy (fetched fresh; why a fetch is refused), MX hosts, and DANE when dnssec_trust is set'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "list" -d 'List queued messages'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "show" -d 'Show one message: envelope, headers, per-recipient status, history'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "flush" -d 'Try these messages (default: all) now'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "hold" -d 'Keep messages from being delivered until released'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "release" -d 'Release held messages (they are tried at once)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "delete" -d 'Delete messages from the queue without delivering them'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "bounce" -d 'Fail messages now: the sender gets a DSN for every recipient not yet delivered'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from mailbox" -f -a "reindex" -d 'Rebuild an account\'s mail index from its Maildir (imports a Dovecot Maildir, flags kept); with --fts, the full-text index instead (of the account, or of every account with --all): here when no server runs, else the running server does it'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from mailbox" -f -a "verify" -d 'Check the index against the Maildir: every row has its file with its size, no file lacks a row, UIDNEXT above every UID, usage the sum of the messages; exit 65 when something is wrong'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from quota" -f -a "show" -d 'Limit, usage, percent and messages (all accounts, or one)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from quota" -f -a "set" -d 'Set a quota: 500M, 5GiB, unlimited, or default (follow the tier)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from quota" -f -a "recalc" -d 'Recompute usage from the Maildir'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from filter" -f -a "allow" -d 'Allow a sender (ADDRESS or @DOMAIN): no spam scoring (viruses are still scanned)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from filter" -f -a "block" -d 'Block a sender (ADDRESS or @DOMAIN): refused at RCPT with 550 5.7.1'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from filter" -f -a "list" -d 'List the allow and block rules'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from filter" -f -a "explain" -d 'Why a message received on port 25 went where it went (or was refused): its verdicts, by queue id (the `id` of its Received: header) or Message-ID'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from filter" -f -a "remove" -d 'Remove a sender\'s rule'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from filter" -f -a "test" -d 'Run a message file through the inbound filters (blocklists, SPF/DKIM/DMARC/ARC, spam and virus scanners, the decision) as if a client had sent it on port 25; nothing is delivered'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from report" -f -a "dmarc" -d 'DMARC aggregate reports received at the domain\'s rua address: who sent mail as the domain, from which IPs, with which SPF/DKIM/DMARC results and what receivers did with it'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from report" -f -a "tls" -d 'SMTP TLS reports (TLS-RPT) received at the domain\'s rua address: sessions that reached our MX with TLS, and why the others failed; with --outbound, our own deliveries\' TLS per day, destination domain and MX host'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "create" -d 'Take a backup now, while `serve` runs: one snapshot of the store, the message files it names, the outbound spool, DKIM keys, TLS files and the config; only what the repository does not hold yet is written'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "list" -d 'The backups in the repository: complete ones, and those that never finished'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "verify" -d 'Check backups: every object present with its hash, every snapshot chunk readable'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "restore" -d 'Restore a whole instance from a backup into a new data directory and an empty database of either backend (so also a way to move): UIDVALIDITY, UIDs, flags and modseqs come back as they were, so IMAP clients do not resynchronise'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "prune" -d 'Forget backups a retention policy does not keep (as restic and borg do it), then remove the objects no kept backup names; backups that never finished are removed too'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from store" -f -a "migrate" -d 'Copy the whole store into a new, empty database (PostgreSQL or SQLite), check every table (rows and checksums), then switch the config\'s `database` to it. A running `serve` goes on during the copy, holds writes (4xx) for the final catch-up only, and switches; the old store refuses writes from then on. A failed migration leaves the old store in use'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "create" -d 'Create a token and print it once (only its hash is kept)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "list" -d 'List tokens (never their secrets)'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "revoke" -d 'Revoke a token: refused at once, kept in the list'
complete -c mailctl -n "__fish_mailctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "list" -d 'List the latest entries, oldest first'
