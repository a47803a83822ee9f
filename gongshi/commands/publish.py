"""Deploy commands: publish, rollback, apply-correction, nginx-conf, systemd-units.

Thin wrappers: each parses options and calls one function of publish/publish.py,
publish/nginx.py or publish/schedule.py (docs/deploy.md explains the layout).
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from gongshi.cli import as_of_option, cli, content_option, progress_printer, reports_errors


def root_option(fn):
    return click.option(
        "--root", "root", type=click.Path(file_okay=False, path_type=Path), required=True,
        help="Release root: releases/, the current symlink and the lock live here.",
    )(fn)


def settings_options(fn):
    """--config and --wait, shared by the commands that take the publish lock."""
    fn = click.option("--wait", "wait", type=click.FloatRange(min=0), metavar="SECONDS",
                      help="How long to wait for another publish run to finish "
                           "(default: setting LOCK_TIMEOUT; 0 = fail at once).")(fn)
    return click.option("--config", "config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        help="Python file of deployment settings overriding the defaults, e.g. "
                             "PURGE_COMMAND = [\"/usr/local/bin/cdn-purge\"] (see docs/deploy.md).")(fn)


def _settings(config, wait):
    """The project settings with the UPPER_CASE names of ``config`` and --wait on top."""
    from pelican.settings import get_settings_from_file

    from publish.settings import load_settings

    overrides = get_settings_from_file(str(config)) if config else {}
    if wait is not None:
        overrides["LOCK_TIMEOUT"] = wait
    return load_settings(**overrides)


def _check_prefix(ctx, param, value):
    from publish.nginx import NginxValueInvalid, check_value

    if value is None:
        return value
    try:
        return check_value("prefix", value)
    except NginxValueInvalid as exc:
        raise click.BadParameter(str(exc)) from None


def run_options(fn):
    """The options of every command that runs a publish: content, root, date, settings, quiet."""
    for decorator in reversed((content_option, root_option, as_of_option, settings_options,
                               click.option("--quiet", "-q", is_flag=True,
                                            help="Print only the summary."))):
        fn = decorator(fn)
    return fn


@cli.command()
@run_options
@reports_errors
def publish(content_dir, root, as_of, config, wait, quiet):
    """Build, verify and deploy a new release, then switch ROOT/current to it.

    load → validate → approval gate → redact → retention → build → verify →
    deploy.  One run at a time (ROOT/.lock).  Any failure leaves the live site as
    it was; the ledger is written only after the switch; the CDN purge runs last.

    Example: gongshi publish --content content --root /srv/gongshi --as-of 2026-11-23
    """
    from publish.publish import format_result
    from publish.publish import publish as run_publish
    from publish.summary import format_summary

    result = run_publish(content_dir, root, as_of, _settings(config, wait), progress_printer(quiet))
    click.echo(format_summary(result.report))
    click.echo(format_result(result))


@cli.command()
@root_option
@click.option("--to", "to", metavar="RELEASE", help="Switch to this release (a name under ROOT/releases/).")
@click.option("--force", is_flag=True,
              help="Roll back even if the older release shows withdrawn or expired cases again.")
@settings_options
@reports_errors
def rollback(root, to, force, config, wait):
    """Switch ROOT/current back to the previous release (one step per call).

    Refuses when the older release would show again a case that is withdrawn or
    expired now, unless --force.  The CDN purge runs for the URLs that differ.

    Example: gongshi rollback --root /srv/gongshi
    """
    from publish.publish import format_result
    from publish.publish import rollback as run_rollback

    result = run_rollback(root, _settings(config, wait), to=to, force=force,
                          progress=progress_printer(False))
    click.echo(format_result(result))


@cli.command("apply-correction")
@click.argument("correction_id", metavar="ID")
@run_options
@reports_errors
def apply_correction(correction_id, content_dir, root, as_of, config, wait, quiet):
    """Publish an accepted correction now (R-CORR: 及时予以更正).

    Checks that corrections/ID.yaml exists, says decision: accepted and belongs to
    a public case (whose file already carries the corrected values), then runs
    the same path as `gongshi publish` and prints the corrected page's URL.

    Example: gongshi apply-correction GZ-2026-001 --content content --root /srv/gongshi
    """
    from publish.publish import apply_correction as run_apply
    from publish.publish import format_result
    from publish.summary import format_summary

    started = time.perf_counter()
    result = run_apply(content_dir, root, correction_id, as_of, _settings(config, wait),
                       progress_printer(quiet))
    click.echo(format_summary(result.report))
    click.echo(format_result(result))
    click.echo(f"corrected page live at {result.url} ({time.perf_counter() - started:.1f}s "
               "after the command started; the CDN serves it once purged)")


@cli.command("nginx-conf")
@root_option
@click.option("--server-name", default="_", show_default=True, help="nginx server_name.")
@click.option("--listen", default="80", show_default=True, help="nginx listen value, e.g. 127.0.0.1:8080.")
@click.option("--prefix", default="/", show_default=True, callback=_check_prefix,
              help="URL path the site is served under; must be the path of bureau.yaml site.url "
                   "(the 404 page's links use it), e.g. /gongshi/.")
@click.option("--output", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@reports_errors
def nginx_conf(root, server_name, listen, prefix, output):
    """Print the nginx config for the origin server (include it inside http {}).

    Cache headers, security headers, gzip, the site's 404 page and 410 Gone for
    expired URLs.  Publishing and rollback never need it regenerated or nginx
    reloaded: it serves ROOT/current and reads the 410 list from it per request.

    Example: gongshi nginx-conf --root /srv/gongshi --server-name ybj.example.gov.cn --prefix /gongshi/
    """
    from publish.nginx import nginx_conf as make_conf

    text = make_conf(root, server_name, listen, prefix)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@cli.command("systemd-units")
@content_option
@root_option
@click.option("--user", default="gongshi", show_default=True, help="System user the publish runs as.")
@click.option("--output", "output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory to write gongshi-publish.service and gongshi-publish.timer into.")
@reports_errors
def systemd_units(content_dir, root, user, output):
    """Write the systemd service and timer of the nightly publish (02:00 Beijing time).

    Install them with: cp OUTPUT/gongshi-publish.* /etc/systemd/system/ &&
    systemctl daemon-reload && systemctl enable --now gongshi-publish.timer

    Example: gongshi systemd-units --content /srv/content --root /srv/gongshi --output units/
    """
    from publish.schedule import systemd_units as make_units
    from publish.schedule import write_units

    for path in write_units(make_units(content_dir, root, user), output):
        click.echo(f"wrote {path}")
