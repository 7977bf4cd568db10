"""Staff accounts in a role, their TOTP devices, and signed-in (second-factor verified) clients."""

from __future__ import annotations

import time
from typing import Any

import factory
from django.contrib.auth.models import Group
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from factory.django import DjangoModelFactory

from sumida_kokuho.access import COUNTER_SESSION_KEY
from sumida_kokuho.roles import Role
from tests.factories.users import StaffUserFactory


class TOTPDeviceFactory(DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(StaffUserFactory)
    name = "authenticator app"
    confirmed = True


def staff_in_role(role: Role | str = Role.COUNTER, **kwargs: Any) -> Any:
    """A staff user in one role group (the groups exist after migrate: post_migrate)."""
    user = StaffUserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=Role(role).value))
    return user


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or `steps_ahead` 30-second steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in_staff(client: Client, user: Any, *, counter: str = "honcho-1") -> TOTPDevice:
    """Sign `user` in on `client` as the sign-in page would: session, verified device, counter."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDeviceFactory(
        user=user
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[COUNTER_SESSION_KEY] = counter
    session.save()
    return device
